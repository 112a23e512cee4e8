"""Run every detector over a trace and return the findings in step order."""

from __future__ import annotations

from collections.abc import Callable

from agentdbg.analysis.calls import gc_paused
from agentdbg.analysis.detectors import DETECTORS
from agentdbg.analysis.facts import RunContext, run_pass
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.errors import UnknownPatternError
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import LLMView


def check_patterns(patterns: list[str] | None) -> None:
    """Raise ``UnknownPatternError`` naming the known ids if any of ``patterns`` is unknown."""
    unknown = [name for name in patterns or [] if name not in DETECTORS]
    if unknown:
        raise UnknownPatternError(
            f"unknown pattern {', '.join(map(repr, unknown))}", hint=f"known patterns: {', '.join(DETECTORS)}"
        )


def diagnose(trace: Trace, options: DiagnoseOptions | None = None) -> list[Finding]:
    """Every failure pattern found in ``trace``, sorted by step, then by severity (errors first).

    One pass over the steps: a lazily read trace (``store.read_indexed``) streams, each step parsed once
    and dropped, so memory stays bounded by the largest step plus small per-step facts.

    Args:
        trace: a loaded trace (``agentdbg.open_trace``).
        options: detector settings; defaults when ``None``.

    Returns:
        The findings; each names its step, pattern, evidence and a suggested fix.

    Raises:
        UnknownPatternError: ``options.patterns`` names no detector.
    """
    from agentdbg.model.view_memo import ViewMemo

    # one pass in step order: each message a run re-sends is converted once (the same view as span.llm)
    return _diagnose(trace, options, ViewMemo().view)


def _diagnose(
    trace: Trace, options: DiagnoseOptions | None, view_of: Callable[[Span], LLMView | None]
) -> list[Finding]:
    options = options or DiagnoseOptions()
    check_patterns(options.patterns)
    context = RunContext(trace, options, view_of, {problem.line for problem in trace.problems})
    detectors = [
        make(context)
        for name, make in DETECTORS.items()
        if options.patterns is None or name in options.patterns
    ]
    facts = run_pass(context, detectors)
    findings: list[Finding] = []
    with gc_paused():  # detectors make no cycles; a full collection would re-walk the run's facts
        for detector in detectors:
            findings.extend(detector.finish(facts))
    for finding in findings:
        finding.source = trace.source
    findings.sort(key=lambda finding: (finding.step, -finding.rank, finding.pattern))
    return findings


__all__ = ["UnknownPatternError", "check_patterns", "diagnose"]
