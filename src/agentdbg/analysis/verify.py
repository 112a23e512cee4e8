"""Check one fix across many traces: replay the same patch on each, diagnose before and after.

A fix that cures one run may break another; ``verify`` replays it on every
trace that shows the failure and reports, per trace, the findings before and
after and whether the final answer changed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field

from agentdbg.analysis.diagnose import diagnose
from agentdbg.analysis.findings import DiagnoseOptions, Finding, at_least
from agentdbg.errors import AgentdbgError, MissingApiKeyError, StepNotFoundError

if TYPE_CHECKING:  # replay loads only when a fix is replayed
    from agentdbg.model.trace import Trace
    from agentdbg.replay.options import ReplayOptions


class ReplayCheck(BaseModel):
    """A fix replayed on a trace and judged: what ``verify`` and ``explain --verify`` both report."""

    status: str = "errored"
    fork_path: str | None = None
    before: list[str] = Field(default_factory=list)
    after: list[str] = Field(default_factory=list)
    old_answer: str | None = None
    new_answer: str | None = None
    answer_changed: bool | None = None
    error: str | None = None


class VerifyRow(ReplayCheck):
    """The outcome of the fix on one trace."""

    trace: str
    status: str = "skipped"
    from_step: str | None = None

    @property
    def cured(self) -> bool:
        """The replay finished and nothing at the reported severity is left."""
        return self.status == "finished" and not self.after


Check = TypeVar("Check", bound=ReplayCheck)


def finding_labels(findings: list[Finding], severity: str = "warning") -> list[str]:
    """``pattern@step-N`` for each finding at or above ``severity``."""
    return [f"{finding.pattern}@{finding.address}" for finding in at_least(findings, severity)]


def replay_and_judge(
    check: Check,
    trace: Trace,
    start: str,
    patch: Any,
    output: Path,
    *,
    replay_options: ReplayOptions | None = None,
    options: DiagnoseOptions | None = None,
    severity: str = "warning",
    force: bool = False,
    missing_step: str = "skipped",
) -> Check:
    """Replay ``patch`` at ``start`` and fill ``check`` with the outcome and the fork's findings.

    A bad input (no such step: status ``missing_step``; any other ``AgentdbgError``: ``errored``) is
    noted on ``check``; a missing key is raised, since every replay would fail the same way.

    Raises:
        MissingApiKeyError: the provider key is missing.
    """
    from agentdbg.importers import open_trace
    from agentdbg.replay import replay

    try:
        result = replay(trace, start, patch=patch, output=output, force=force, options=replay_options)
    except MissingApiKeyError:
        raise
    except StepNotFoundError as exc:
        check.status, check.error = missing_step, exc.message
        return check
    except AgentdbgError as exc:
        check.status, check.error = "errored", exc.message
        return check
    check.status = result.status
    check.fork_path = result.fork_path
    check.error = result.error
    check.old_answer, check.new_answer = result.old_answer, result.new_answer
    check.answer_changed = result.old_answer != result.new_answer
    if result.fork_path:  # the fork read through the index: diagnose streams it
        check.after = finding_labels(diagnose(open_trace(result.fork_path, lazy=True), options), severity)
    return check


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
    replay_options: ReplayOptions | None = None,
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
        replay_options: How each fork runs (``base_url``, ``model``, ``tools``, ``max_steps``...).

    Returns:
        One ``VerifyRow`` per trace; a trace where the selector names no step is ``skipped``.

    A trace whose provider has no key in the environment is ``skipped`` with the variable named, and the
    rest still run (a batch can mix OpenAI and Anthropic runs).
    """
    from agentdbg.importers import open_trace
    from agentdbg.replay import select_step

    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[Path] = set()
    rows: list[VerifyRow] = []
    for path in paths:
        row = VerifyRow(trace=path)
        try:
            trace = open_trace(path, lazy=True)  # our format through the index: one step at a time
            row.from_step = select_step(trace, selector).address
        except StepNotFoundError as exc:
            row.error = exc.message
        except AgentdbgError as exc:
            row.status, row.error = "errored", exc.message
        else:
            row.before = finding_labels(diagnose(trace, options), severity)
            try:
                replay_and_judge(
                    row,
                    trace,
                    selector,
                    patch,
                    _fork_path(directory, path, taken),
                    replay_options=replay_options,
                    options=options,
                    severity=severity,
                    force=True,
                )
            except MissingApiKeyError as exc:  # this trace's provider has no key: skip it, try the others
                row.status, row.error = "skipped", exc.message
        rows.append(row)
        if on_trace is not None:
            on_trace(row)
    return rows


__all__ = ["ReplayCheck", "VerifyRow", "finding_labels", "replay_and_judge", "verify"]
