"""One small module per failure pattern; each exposes ``detect(facts, options) -> list[Finding]``."""

from __future__ import annotations

from collections.abc import Callable

from agentdbg.analysis.calls import RunFacts
from agentdbg.analysis.detectors import (
    context,
    errors,
    loop,
    retrieval,
    schema,
    truncation,
    unknown_tool,
    wrong_tool,
)
from agentdbg.analysis.findings import DiagnoseOptions, Finding

Detector = Callable[[RunFacts, DiagnoseOptions], list[Finding]]

DETECTORS: dict[str, Detector] = {
    "loop": loop.detect,
    "schema": schema.detect,
    "unknown-tool": unknown_tool.detect,
    "wrong-tool": wrong_tool.detect,
    "context": context.detect,
    "truncation": truncation.detect,
    "retrieval": retrieval.detect,
    "error": errors.detect,
}

__all__ = ["DETECTORS", "Detector"]
