"""Export to OTLP JSON, import it back with the real OTLP importer: the same steps come back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg.exporters import export_trace
from agentdbg.importers import detect_format, open_trace
from agentdbg.model.trace import Trace
from tests.exporters.otlp_helpers import spans
from tests.exporters.sdk_run import record_sdk_run
from tests.exporters.semconv_schema import assert_follows_semconv
from tests.exporters.traces import travel_trace_file
from tests.importers.corpus import corpus_files


def _steps(trace: Trace) -> list[dict]:
    """What must survive the round trip, per step in step order."""
    out = []
    for span in trace.spans:
        parent = trace.by_id[span.parent_id].step if span.parent_id in trace.by_id else None
        entry = {
            "step": span.step,
            "kind": span.kind,
            "name": span.name,
            "parent_step": parent,
            "status": span.status,
            "usage": span.usage.model_dump(exclude_none=True) if span.usage else None,
            "error": (span.error.type, span.error.message) if span.error else None,
        }
        if span.llm is not None:
            entry["prompt"] = [m.model_dump() for m in span.llm.prompt]
            entry["answer"] = [m.model_dump() for m in span.llm.answer]
            entry["tool_calls"] = [(c.id, c.name, c.arguments) for c in span.llm.tool_calls]
        if span.tool is not None:
            entry["tool"] = span.tool.model_dump()
        out.append(entry)
    return out


def _roundtrip(trace_file: Path, tmp_path: Path) -> tuple[Trace, Trace, Path]:
    original = open_trace(trace_file)
    exported = export_trace(original, "otlp-json", tmp_path / f"{trace_file.stem}.otlp.json")
    assert detect_format(exported) == "otlp-json"
    return original, open_trace(exported), exported


def test_travel_trace_survives_export_and_import(tmp_path: Path) -> None:
    original, imported, _ = _roundtrip(travel_trace_file(tmp_path), tmp_path)
    assert imported.format == "otlp-json" and imported.problems == []
    assert _steps(imported) == _steps(original)
    assert imported.header.trace_id == original.header.trace_id and imported.header.name == "travel-agent"
    assert [s.id for s in imported.spans] == [s.id for s in original.spans]
    for before, after in zip(original.spans, imported.spans, strict=True):
        assert after.input == before.input and after.output == before.output
        assert after.started_at == before.started_at and after.ended_at == before.ended_at
        assert after.attributes.get("ttft") == before.attributes.get("ttft")
    assert imported.step(7).status == "incomplete"
    assert imported.step(6).error.status_code == 529  # type: ignore[union-attr]


def test_real_sdk_run_survives_export_and_import(tmp_path: Path) -> None:
    original, imported, _ = _roundtrip(record_sdk_run(tmp_path / "sdk.jsonl"), tmp_path)
    assert _steps(imported) == _steps(original)
    calls = imported.step(2).llm.tool_calls  # type: ignore[union-attr]
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert imported.step(3).tool.call_id == calls[0].id  # type: ignore[union-attr]
    assert imported.step(3).tool.result == "Paris: 18°C, light rain"  # type: ignore[union-attr]
    assert imported.totals() == original.totals()


def test_semconv_attributes_alone_still_give_the_steps(tmp_path: Path) -> None:
    """A backend that drops our ``agentdbg.*`` attributes still hands back kinds, tool calls, results, usage, errors."""
    original, _, exported = _roundtrip(travel_trace_file(tmp_path), tmp_path)
    document = json.loads(exported.read_text(encoding="utf-8"))
    for span in spans(document):
        span["attributes"] = [a for a in span["attributes"] if not a["key"].startswith("agentdbg.")]
    for resource_spans in document["resourceSpans"]:
        resource_spans["resource"]["attributes"] = [
            a for a in resource_spans["resource"]["attributes"] if not a["key"].startswith("agentdbg.")
        ]
    stripped = tmp_path / "semconv-only.json"
    stripped.write_text(json.dumps(document), encoding="utf-8")
    imported = open_trace(stripped)
    assert [s.kind for s in imported.spans] == [s.kind for s in original.spans]
    parents = [imported.by_id[s.parent_id].step if s.parent_id else None for s in imported.spans]
    assert parents == [None, 1, 1, 1, 1, 5, 5]
    chat = imported.step(2)
    assert [(c.id, c.name, c.arguments) for c in chat.llm.tool_calls] == [
        ("call_1", "get_weather", {"city": "Paris"})
    ]  # type: ignore[union-attr]
    assert chat.usage is not None and (chat.usage.input_tokens, chat.usage.output_tokens) == (82, 17)
    tool = imported.step(3).tool
    assert tool is not None and (tool.name, tool.call_id, tool.arguments, tool.result) == (
        "get_weather",
        "call_1",
        {"city": "Paris"},
        "18°C, light rain",
    )
    failed = imported.step(6)
    assert failed.status == "error" and "529" in failed.error.message  # type: ignore[union-attr]
    prompt = [m.text for m in imported.step(4).llm.prompt]  # type: ignore[union-attr]
    assert "Should I pack an umbrella for Paris?" in prompt and "18°C, light rain" in prompt


def test_responses_anthropic_and_custom_steps_survive(tmp_path: Path) -> None:
    from tests.exporters.traces import provider_mix_records, write_records

    original, imported, _ = _roundtrip(
        write_records(tmp_path / "mix.jsonl", provider_mix_records()), tmp_path
    )
    assert _steps(imported) == _steps(original)
    assert [s.origin for s in imported.spans] == [None, "patched", None]
    assert imported.step(3).input == {"k": [1, 2.5, True, None]} and imported.step(3).output == {"ok": True}


@pytest.mark.parametrize("source", corpus_files(), ids=lambda path: path.name)
def test_every_corpus_file_exports_and_comes_back(source: Path, tmp_path: Path) -> None:
    """Other tools' real traces (imported) go out as OTLP JSON and HTML; the OTLP file gives back the same steps."""
    original, imported, exported = _roundtrip(source, tmp_path)
    assert original.spans and _steps(imported) == _steps(original)
    assert_follows_semconv(json.loads(exported.read_text(encoding="utf-8")), source.name)
    assert imported.problems == []
    page = export_trace(original, "html", tmp_path / "page.html").read_text(encoding="utf-8")
    assert json.loads(page.split('id="agentdbg-data">', 1)[1].split("</script>", 1)[0])["trace"]
    rows = [json.loads(block.split("</script>", 1)[0]) for block in page.split('class="agentdbg-rows">')[1:]]
    assert sum(map(len, rows)) == len(original.spans)
