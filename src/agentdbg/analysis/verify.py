"""Check one fix across many traces: replay the same patch on each, diagnose before and after.

A fix that cures one run may break another; ``verify`` replays it on every
trace that shows the failure and reports, per trace, the findings before and
after and whether the final answer changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentdbg.analysis.diagnose import diagnose
from agentdbg.analysis.findings import DiagnoseOptions, Finding, at_least
from agentdbg.errors import AgentdbgError, MissingApiKeyError, StepNotFoundError


class VerifyRow(BaseModel):
    """The outcome of the fix on one trace."""

    trace: str
    status: str
    from_step: str | None = None
    fork_path: str | None = None
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    old_answer: str | None = None
    new_answer: str | None = None
    answer_changed: bool | None = None
    error: str | None = None

    @property
    def cured(self) -> bool:
        """The replay finished and nothing at the reported severity is left."""
        return self.status == "finished" and not self.after


def _labels(findings: list[Finding], severity: str) -> list[str]:
    return [f"{finding.pattern}@{finding.address}" for finding in at_least(findings, severity)]


def _fork_path(output_dir: Path, source: str, taken: set[Path]) -> Path:
    stem = Path(source).name.removesuffix(".jsonl")
    candidate = output_dir / f"{stem}.fork.jsonl"
    number = 2
    while candidate in taken:
        candidate = output_dir / f"{stem}-{number}.fork.jsonl"
        number += 1
    taken.add(candidate)
    return candidate


def verify(
    paths: list[str],
    patch: Any,
    selector: str,
    *,
    output_dir: str | os.PathLike[str],
    severity: str = "warning",
    options: DiagnoseOptions | None = None,
    on_trace: Callable[[VerifyRow], None] | None = None,
    **replay_options: Any,
) -> list[VerifyRow]:
    """Replay ``patch`` at ``selector`` on each trace and diagnose the original and the fork.

    Args:
        paths: Trace files.
        patch: JSON Patch or merge patch for the selected step's document (see ``agentdbg.replay``).
        selector: ``--from`` selector (``step-N``, ``first-llm``, ``tool:NAME``...).
        output_dir: Where the forks are written (``<name>.fork.jsonl``).
        severity: Findings at or above this are reported before/after.
        options: Detector settings.
        on_trace: Called with each row as it completes (progress).
        replay_options: Passed to ``agentdbg.replay.replay`` (``base_url``, ``model``, ``tools``, ``max_steps``...).

    Returns:
        One ``VerifyRow`` per trace; a trace where the selector names no step is ``skipped``.

    Raises:
        MissingApiKeyError: the provider key is missing (every replay would fail the same way).
    """
    from agentdbg.importers import open_trace
    from agentdbg.replay import replay, select_step

    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[Path] = set()
    rows: list[VerifyRow] = []
    for path in paths:
        row = VerifyRow(trace=path, status="skipped")
        try:
            trace = open_trace(path)
            row.from_step = select_step(trace, selector).address
            row.before = _labels(diagnose(trace, options), severity)
            result = replay(
                trace,
                selector,
                patch=patch,
                output=_fork_path(directory, path, taken),
                force=True,
                **replay_options,
            )
        except MissingApiKeyError:
            raise
        except StepNotFoundError as exc:
            row.error = exc.message
        except AgentdbgError as exc:
            row.status = "errored"
            row.error = exc.message
        else:
            row.status = result.status
            row.fork_path = result.fork_path
            row.error = result.error
            row.old_answer, row.new_answer = result.old_answer, result.new_answer
            row.answer_changed = result.old_answer != result.new_answer
            if result.fork_path:
                row.after = _labels(diagnose(open_trace(result.fork_path), options), severity)
        rows.append(row)
        if on_trace is not None:
            on_trace(row)
    return rows


__all__ = ["VerifyRow", "verify"]
