"""OTLP JSON as trace backends hand it out: Tempo's API wrapper and base64 ids, and pre-0.15 OTLP
(``instrumentationLibrarySpans``), on real documents (tests/importers/data/MANIFEST.tsv)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from agentdbg.importers import detect_format, open_trace
from tests.importers.corpus import DATA

TEMPO = DATA / "otlp" / "tempo_api_v2_trace.json"
LIBRARY_SPANS = DATA / "otlp" / "collector_instrumentation_library_spans.json"


def test_tempo_v2_wrapper_and_base64_ids() -> None:
    raw_span = json.loads(TEMPO.read_text())["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    trace = open_trace(TEMPO)
    assert trace.format == "otlp-json" and trace.problems == []
    (span,) = trace.spans
    assert span.name == raw_span["name"] == "I am a span!"
    assert span.id == base64.b64decode(raw_span["spanId"]).hex() == "eee19b7ec3c1b100"
    assert trace.header.trace_id == "5b8efff798038103d269b633813fc700"  # the id the doc queries Tempo with
    assert (
        span.ended_at - span.started_at
        == (int(raw_span["endTimeUnixNano"]) - int(raw_span["startTimeUnixNano"])) / 1e9
    )


def test_instrumentation_library_spans_are_read() -> None:
    document = json.loads(LIBRARY_SPANS.read_text())
    raw = [
        s for rs in document["resourceSpans"] for il in rs["instrumentationLibrarySpans"] for s in il["spans"]
    ]
    trace = open_trace(LIBRARY_SPANS)
    assert detect_format(LIBRARY_SPANS) == "otlp-json"
    assert sorted(s.id for s in trace.spans) == sorted(s["spanId"] for s in raw)
    parent = next(s for s in trace.spans if s.name == "FilterTemperature")
    child = next(s for s in trace.spans if s.name == "Upstream")
    assert child.parent_id == parent.id
    # the parent of FilterTemperature is outside the file: named, shown at the root, nothing lost
    assert [p.severity for p in trace.problems] == ["warning"] and "22ba720ac011163b" in trace.problems[
        0
    ].message


def test_zero_parent_and_jaeger_result_wrapper(tmp_path: Path) -> None:
    """Jaeger's api/v3 answer: ``{"result": {...}}``, and an all-zero parentSpanId meaning "no parent"."""
    span = json.loads(TEMPO.read_text())["trace"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["parentSpanId"] = "AAAAAAAAAAA="
    document = {"result": {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}}
    path = tmp_path / "jaeger.json"
    path.write_text(json.dumps(document))
    trace = open_trace(path)
    assert [s.parent_id for s in trace.spans] == [None] and trace.problems == []
