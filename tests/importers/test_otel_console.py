"""OpenTelemetry's ConsoleSpanExporter output (``ReadableSpan.to_json(indent=4)`` documents one after another,
``0x`` ids, ``SpanKind.X``, ``status.status_code`` names, ISO times), here the real genai-interlingua
OpenLLMetry capture as that exporter prints it (child span first, as spans end; MANIFEST.tsv). Before, "not a
trace agentdbg can read"; now the same steps as the OTLP file, and a broken document is an error at its line
while the others still load."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

CONSOLE = DATA / "otlp" / "interlingua" / "openllmetry_console_exporter.txt"
OTLP = DATA / "otlp" / "interlingua" / "openllmetry_in.json"


def _steps(path: Path) -> list[tuple[object, ...]]:
    return [
        (s.kind, s.name, s.parent_id, s.usage, s.llm and [c.name for c in s.llm.tool_calls], round(s.started_at or 0, 3))
        for s in open_trace(path).spans
    ]


def test_console_exporter_output_reads_as_its_otlp() -> None:
    assert detect_format(CONSOLE) == "otel-console" and open_trace(CONSOLE).problems == []
    assert _steps(CONSOLE) == _steps(OTLP)


def test_a_broken_document_is_named_and_the_rest_loads(tmp_path: Path) -> None:
    text = CONSOLE.read_text("utf-8")
    first_end = text.index("\n}\n") + 3
    broken = text[:first_end] + '{\n    "name": "cut",\n    "context": {\n' + text[first_end:]
    path = tmp_path / "spans.txt"
    path.write_text(broken, encoding="utf-8")
    trace = open_trace(path)
    (problem,) = trace.problems
    assert problem.severity == "error" and problem.line > text[:first_end].count("\n")
    assert len(trace.spans) == 2


def test_error_status_and_description(tmp_path: Path) -> None:
    docs = []
    decoder, text, at = json.JSONDecoder(), CONSOLE.read_text("utf-8"), 0
    while at < len(text.rstrip()):
        doc, at = decoder.raw_decode(text, at)
        docs.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    docs[0]["status"] = {"status_code": "ERROR", "description": "RateLimitError: 429"}
    path = tmp_path / "spans.txt"
    path.write_text("".join(json.dumps(d, indent=4) + "\n" for d in docs), encoding="utf-8")
    errors = [s.error for s in open_trace(path).spans if s.error is not None]
    assert [e.message for e in errors] == ["RateLimitError: 429"]
