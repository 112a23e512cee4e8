"""Jaeger's trace JSON (UI "Download JSON" / ``/api/traces``): the real genai-interlingua OpenInference and
OpenLLMetry captures as Jaeger serves OTLP it received (attributes as typed tags, times in µs, the parent in
``references``, status as ``otel.status_code``; MANIFEST.tsv). Before, "not a trace agentdbg can read"; now
the same steps, tokens, tool calls and tree as the OTLP files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

PAIRS = {
    "openinference": (DATA / "jaeger" / "interlingua_openinference.jaeger.json", DATA / "otlp" / "interlingua" / "openinference_in.json"),
    "openllmetry": (DATA / "jaeger" / "interlingua_openllmetry.jaeger.json", DATA / "otlp" / "interlingua" / "openllmetry_in.json"),
}


def _steps(path: Path) -> list[tuple[object, ...]]:
    trace = open_trace(path)
    return [
        (s.kind, s.name, s.parent_id, s.usage, s.llm and [c.name for c in s.llm.tool_calls], round(s.started_at or 0, 3))
        for s in trace.spans
    ]


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_jaeger_json_reads_as_the_otlp_it_came_from(name: str) -> None:
    jaeger, otlp = PAIRS[name]
    assert detect_format(jaeger) == "jaeger" and open_trace(jaeger).problems == []
    assert _steps(jaeger) == _steps(otlp)


def test_an_error_tag_and_a_span_without_id(tmp_path: Path) -> None:
    data = json.loads(PAIRS["openllmetry"][0].read_text("utf-8"))
    spans = data["data"][0]["spans"]
    spans[-1]["tags"] += [{"key": "otel.status_code", "type": "string", "value": "ERROR"},
                          {"key": "otel.status_description", "type": "string", "value": "upstream 503"}]
    spans.append({"operationName": "no id"})
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    trace = open_trace(path)
    assert [(p.field, p.severity) for p in trace.problems] == [("data[0].spans[2]", "warning")]
    assert any(s.error is not None and s.error.message == "upstream 503" for s in trace.spans)
