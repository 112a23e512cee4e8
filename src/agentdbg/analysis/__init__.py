"""Failure-pattern detectors, run-vs-run diff and trace search: pure domain code (no rich, no textual).

``diagnose(trace, options)`` returns ``Finding``s pointing at the step where each
failure starts; ``diff_traces(a, b)`` aligns two runs; ``search`` scans a tree of traces.
"""

from agentdbg.analysis.diagnose import UnknownPatternError, check_patterns, diagnose
from agentdbg.analysis.diff import StepDiff, TraceDiff, diff_traces
from agentdbg.analysis.findings import PATTERNS, SEVERITY_RANK, DiagnoseOptions, Finding, at_least

__all__ = [
    "PATTERNS",
    "SEVERITY_RANK",
    "DiagnoseOptions",
    "Finding",
    "StepDiff",
    "TraceDiff",
    "UnknownPatternError",
    "at_least",
    "check_patterns",
    "diagnose",
    "diff_traces",
]
