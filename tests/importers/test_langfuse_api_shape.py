"""A Langfuse trace as its public API returns it (``GET /api/public/traces/{id}``: the trace's own fields
first, ``observations`` last) is detected even when a large input pushes ``observations`` past the sniffed
head; built from a real framework export of the corpus."""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import SNIFF_BYTES, detect_format, open_trace
from tests.importers.corpus import CORPUS

EXPORT = CORPUS / "langfuse" / "pydantic-ai-2025-06-06.trace.json"


def test_api_shape_with_large_input_is_langfuse(tmp_path: Path) -> None:
    export = json.loads(EXPORT.read_text())
    api = {**export["trace"], "input": "x" * (SNIFF_BYTES + 1000), "observations": export["observations"]}
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(api))
    assert path.read_bytes().index(b'"observations"') > SNIFF_BYTES
    assert detect_format(path) == "langfuse"
    trace = open_trace(path)
    expected = open_trace(EXPORT)
    assert [s.name for s in trace.spans if s.kind != "agent"] == [
        s.name for s in expected.spans if s.kind != "agent"
    ]
