"""Cassettes kept as vcrpy's own cassette dict, parallel ``requests`` / ``responses`` lists, as LangChain's
standard-tests CustomSerializer writes them (``yaml.safe_dump`` then gzip: ``tests/cassettes/*.yaml.gz``) and
as a replay library documents them (MANIFEST.tsv). Before, both were "not a trace agentdbg can read"."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

GZIPPED = DATA / "vcr" / "langchain_standard_tests_shape.yaml.gz"
PLAIN = DATA / "vcr" / "requests_responses_doc_example.yaml"


def test_a_gzipped_langchain_cassette_is_read_call_by_call() -> None:
    trace = open_trace(GZIPPED)
    assert detect_format(GZIPPED) == "vcr" and trace.problems == []
    assert trace.header.name == "langchain_standard_tests_shape"
    assert [s.kind for s in trace.spans] == ["agent", "llm", "tool", "llm"]
    first, tool, second = trace.spans[1:]
    assert first.input["api"] == "chat.completions" and first.input["request"]["tools"][0]["function"]["name"] == "magic_function"
    assert first.llm is not None and first.llm.replayable and [c.name for c in first.llm.tool_calls] == ["magic_function"]
    assert tool.name == "magic_function" and tool.input["call_id"] == "call_Ab12" and tool.output == "5"
    assert second.output["choices"][0]["message"]["content"] == "The value of magic_function(3) is 5."
    assert trace.totals()["input_tokens"] == 61 + 84


def test_the_plain_yaml_shape_and_the_uncompressed_one_read_alike(tmp_path: Path) -> None:
    plain = open_trace(PLAIN)
    assert detect_format(PLAIN) == "vcr" and plain.problems == []
    (llm,) = plain.llm_spans
    assert llm.input["api"] == "responses" and llm.input["request"]["model"] == "gpt-4o-mini"
    assert llm.output["output"][0]["content"][0]["text"] == "agent pong"
    unpacked = tmp_path / "cassette.yaml"
    unpacked.write_bytes(gzip.decompress(GZIPPED.read_bytes()))
    assert [s.name for s in open_trace(unpacked).spans][1:] == [s.name for s in open_trace(GZIPPED).spans][1:]


def test_a_broken_gzip_or_unpaired_lists_are_named(tmp_path: Path) -> None:
    cut = tmp_path / "cut.yaml.gz"
    cut.write_bytes(GZIPPED.read_bytes()[:400])
    done = subprocess.run([sys.executable, "-m", "agentdbg", "diagnose", str(cut)], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr and done.returncode == 2
    assert f"{cut}:1: error: the gzip stream ends early" in done.stderr
    one = tmp_path / "one.yaml"
    text = gzip.decompress(GZIPPED.read_bytes()).decode()
    one.write_text(text[: text.index("responses:")] + "responses: []\n", encoding="utf-8")
    trace = open_trace(one)
    assert any(p.field == "responses" and "2 requests but 0 responses" in p.message for p in trace.problems)
    assert len(trace.llm_spans) == 2
