"""go-vcr cassettes (dnaeon/go-vcr: v1 ``Request{body, form, headers, url, method}`` / ``Response{body, headers,
status, code}``; v2 adds proto, content_length, host, ``id`` and the response ``duration``), written as its
``Save`` writes them ("---" then the YAML; MANIFEST.tsv). go-vcr names the address ``url`` and gives the
status as "200 OK" text beside an int ``code``: before, the call was an unknown API (not an llm step one could
replay) and an HTTP error was not an error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

V1 = DATA / "vcr" / "go_vcr_v1_shape.yaml"
V2 = DATA / "vcr" / "go_vcr_v2_shape.yaml"


@pytest.mark.parametrize("path", [V1, V2], ids=["v1", "v2"])
def test_a_go_vcr_call_is_a_replayable_llm_step(path: Path) -> None:
    trace = open_trace(path)
    assert detect_format(path) == "vcr" and trace.problems == []
    (llm,) = trace.llm_spans
    assert llm.input["api"] == "chat.completions" and llm.input["request"]["messages"][0]["content"] == "Say hi"
    assert llm.llm is not None and llm.llm.replayable
    assert llm.attributes["http"] == {"method": "POST", "uri": "https://api.openai.com/v1/chat/completions", "status": 200}
    assert llm.usage is not None and (llm.usage.input_tokens, llm.usage.output_tokens) == (9, 3)


def test_the_v2_duration_is_the_call_time() -> None:
    (llm,) = open_trace(V2).llm_spans
    assert llm.started_at is not None and llm.ended_at == pytest.approx(llm.started_at + 0.812345)


def test_a_go_vcr_http_error_is_the_step_error(tmp_path: Path) -> None:
    cassette = yaml.safe_load(V2.read_text("utf-8"))
    response = cassette["interactions"][0]["response"]
    response.update(status="429 Too Many Requests", code=429, body='{"error": {"message": "Rate limit reached", "type": "requests"}}')
    path = tmp_path / "rate_limited.yaml"
    path.write_text("---\n" + yaml.safe_dump(cassette), encoding="utf-8")
    (llm,) = open_trace(path).llm_spans
    assert llm.error is not None and llm.error.status_code == 429 and llm.error.message == "Rate limit reached"
