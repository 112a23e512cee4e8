"""One small module per failure pattern; each exposes a ``Detector(context)`` that sees every step once
(``step(span, view)``) and reports at the end (``finish(facts) -> list[Finding]``): see ``analysis/facts.py``."""

from __future__ import annotations

from collections.abc import Callable

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
from agentdbg.analysis.facts import RunContext, StepDetector

DetectorFactory = Callable[[RunContext], StepDetector]

DETECTORS: dict[str, DetectorFactory] = {
    "loop": loop.Detector,
    "schema": schema.Detector,
    "unknown-tool": unknown_tool.Detector,
    "wrong-tool": wrong_tool.Detector,
    "context": context.Detector,
    "truncation": truncation.Detector,
    "retrieval": retrieval.Detector,
    "error": errors.Detector,
}

__all__ = ["DETECTORS", "DetectorFactory"]
