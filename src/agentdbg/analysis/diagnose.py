"""Run every detector over a trace and return the findings in step order."""

from __future__ import annotations

from agentdbg.analysis.calls import RunFacts, gc_paused
from agentdbg.analysis.detectors import DETECTORS
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.errors import UnknownPatternError
from agentdbg.model.trace import Trace


def check_patterns(patterns: list[str] | None) -> None:
    """Raise ``UnknownPatternError`` naming the known ids if any of ``patterns`` is unknown."""
    unknown = [name for name in patterns or [] if name not in DETECTORS]
    if unknown:
        raise UnknownPatternError(
            f"unknown pattern {', '.join(map(repr, unknown))}", hint=f"known patterns: {', '.join(DETECTORS)}"
        )


def diagnose(trace: Trace, options: DiagnoseOptions | None = None) -> list[Finding]:
    """Every failure pattern found in ``trace``, sorted by step, then by severity (errors first).

    Args:
        trace: a loaded trace (``agentdbg.open_trace``).
        options: detector settings; defaults when ``None``.

    Returns:
        The findings; each names its step, pattern, evidence and a suggested fix.

    Raises:
        UnknownPatternError: ``options.patterns`` names no detector.
    """
    findings = diagnose_facts(RunFacts.of(trace), options)
    for finding in findings:
        finding.source = trace.source
    return findings


def diagnose_facts(facts: RunFacts, options: DiagnoseOptions | None = None) -> list[Finding]:
    """``diagnose`` on precomputed ``RunFacts`` (search and verify reuse the views they already built)."""
    options = options or DiagnoseOptions()
    check_patterns(options.patterns)
    findings: list[Finding] = []
    with gc_paused():  # detectors make no cycles; a full collection re-walks every view of the run
        for name, detect in DETECTORS.items():
            if options.patterns is None or name in options.patterns:
                findings.extend(detect(facts, options))
    findings.sort(key=lambda finding: (finding.step, -finding.rank, finding.pattern))
    return findings


__all__ = ["UnknownPatternError", "check_patterns", "diagnose", "diagnose_facts"]
