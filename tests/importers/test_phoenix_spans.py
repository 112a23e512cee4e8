"""Arize Phoenix span exports: OpenInference span records (not OTLP) as Phoenix's REST page, a JSON array,
JSON lines with nested attributes, and ``get_spans_dataframe()`` saved by pandas (``context.span_id`` and
``attributes.llm.input_messages`` columns, epoch-ms times). Fixtures in the documented record shape
(MANIFEST.tsv). Before, every one was "not a trace agentdbg can read"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

PAGE = DATA / "phoenix" / "rest_spans_page.json"
FRAME = DATA / "phoenix" / "spans_dataframe_records.jsonl"


def _nested(attrs: dict[str, object]) -> dict[str, object]:
    """Dotted keys as nested objects, lists for numeric parts (Phoenix keeps attributes this way)."""
    root: dict[str, object] = {}
    for key, value in attrs.items():
        parts = key.split(".")
        node: dict[str, object] = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[parts[-1]] = value

    def lists(node: object) -> object:
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(root)  # type: ignore[return-value]


def _variants(tmp_path: Path) -> dict[str, Path]:
    spans = json.loads(PAGE.read_text("utf-8"))["data"]
    array = tmp_path / "array.json"
    array.write_text(json.dumps(spans, indent=2), encoding="utf-8")
    nested = tmp_path / "nested.jsonl"
    nested.write_text("".join(json.dumps({**s, "attributes": _nested(s["attributes"])}) + "\n" for s in spans), "utf-8")
    return {"page": PAGE, "frame": FRAME, "array": array, "nested": nested}


@pytest.mark.parametrize("variant", ["page", "frame", "array", "nested"])
def test_each_export_shape_gives_the_same_steps(variant: str, tmp_path: Path) -> None:
    path = _variants(tmp_path)[variant]
    trace = open_trace(path)
    assert detect_format(path) == "phoenix" and trace.problems == []
    assert [(s.kind, s.name) for s in trace.spans] == [
        ("agent", "weather_agent"),
        ("llm", "gpt-4o-mini-2024-07-18"),
        ("tool", "get_weather"),
    ]
    agent, llm, tool = trace.spans
    assert llm.parent_id == agent.id == tool.parent_id
    assert llm.usage is not None and (llm.usage.input_tokens, llm.usage.output_tokens) == (80, 17)
    assert llm.llm is not None and [c.name for c in llm.llm.tool_calls] == ["get_weather"]
    assert [m["role"] for m in llm.input["request"]["messages"]] == ["system", "user"]
    assert tool.input == {"name": "get_weather", "arguments": {"city": "Paris"}, "call_id": "call_9Xq"}
    assert tool.output == "18C and sunny"
    assert agent.started_at == pytest.approx(1748772000.0) and agent.ended_at == pytest.approx(1748772003.0)


def test_an_error_status_and_a_bad_record_are_reported(tmp_path: Path) -> None:
    spans = json.loads(PAGE.read_text("utf-8"))["data"]
    spans[2] = {**spans[2], "status_code": "ERROR", "status_message": "weather service timed out"}
    path = tmp_path / "spans.jsonl"
    lines = [json.dumps(s) for s in spans]
    path.write_text("\n".join([lines[0], '{"name": "cut', lines[1], '{"name": "no id"}', lines[2]]) + "\n", "utf-8")
    trace = open_trace(path)
    assert {(p.line, p.severity) for p in trace.problems} == {(2, "error"), (4, "warning")}
    assert any(p.field == "context.span_id" for p in trace.problems)
    tool = trace.tool_spans[0]
    assert tool.error is not None and tool.error.message == "weather service timed out"
    for command in (["show", "--print"], ["validate"], ["diagnose"]):
        done = subprocess.run([sys.executable, "-m", "agentdbg", *command, str(path)], capture_output=True, text=True, timeout=120)
        assert "Traceback" not in done.stderr and f"{path}:2: error" in done.stderr + done.stdout
