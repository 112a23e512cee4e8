"""``--verify``: replay every candidate fix, diagnose each fork, pick the best, write it as ``fix-N.json``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

from agentdbg.analysis import DiagnoseOptions, diagnose
from agentdbg.analysis.verify import ReplayCheck, finding_labels, replay_and_judge
from agentdbg.explain.answer import CandidateFix
from agentdbg.model.trace import Trace
from agentdbg.replay.errors import OutputExistsError
from agentdbg.replay.options import ReplayOptions
from agentdbg.secrets import mask_secrets


class FixCheck(ReplayCheck):
    """One candidate fix replayed: status, findings before and after, whether the final answer changed."""

    number: int
    kind: str
    step: str
    title: str

    @property
    def verified(self) -> bool:
        """The replay finished and left fewer findings (or, with none before, none after and a new answer)."""
        if self.status != "finished":
            return False
        if self.before:
            return len(self.after) < len(self.before)
        return not self.after and bool(self.answer_changed)


def _fork_path(directory: Path, stem: str, number: int) -> Path:
    candidate = directory / f"{stem}.fix-{number}.fork.jsonl"
    extra = 2
    while candidate.exists():
        candidate = directory / f"{stem}.fix-{number}-{extra}.fork.jsonl"
        extra += 1
    return candidate


def fork_directory(trace: Trace) -> tuple[Path, str]:
    """Where forks of a fix go (beside the trace; a new temporary folder for a trace without a file) and their stem."""
    if trace.source:
        source = Path(trace.source)
        return source.parent, source.name.removesuffix(".jsonl")
    return Path(tempfile.mkdtemp(prefix="agentdbg-explain-")), "trace"


def check_fixes(
    trace: Trace,
    fixes: list[CandidateFix],
    *,
    options: DiagnoseOptions | None = None,
    on_fix: Callable[[FixCheck], None] | None = None,
    first_number: int = 1,
    replay_options: ReplayOptions | None = None,
) -> list[FixCheck]:
    """Replay each fix from its step, diagnose the fork, compare with the original.

    Fixes are numbered from ``first_number`` (the TUI replays one candidate at a time).

    Raises:
        MissingApiKeyError: the replay's provider key is missing (every fix would fail the same way).
    """
    before = finding_labels(diagnose(trace, options))
    directory, stem = fork_directory(trace)
    checks = []
    for number, fix in enumerate(fixes, start=first_number):
        check = FixCheck(number=number, kind=fix.kind, step=fix.step, title=fix.title, before=before)
        replay_and_judge(
            check,
            trace,
            fix.step,
            fix.patch_json,
            _fork_path(directory, stem, number),
            replay_options=replay_options,
            options=options,
            missing_step="errored",
        )
        checks.append(check)
        if on_fix is not None:
            on_fix(check)
    return checks


def best_check(checks: list[FixCheck]) -> FixCheck | None:
    """The verified fix with the fewest findings left (a changed answer breaks ties, then the model's order)."""
    verified = [check for check in checks if check.verified]
    if not verified:
        return None
    return min(verified, key=lambda check: (len(check.after), not check.answer_changed, check.number))


def write_fix(trace: Trace, check: FixCheck, fix: CandidateFix, *, force: bool = False) -> Path:
    """Write ``fix``'s patch as ``fix-N.json`` beside the trace (what ``agentdbg replay --patch`` reads).

    Raises:
        OutputExistsError: the file exists and ``force`` is false.
    """
    directory, _ = fork_directory(trace)
    path = directory / f"fix-{check.number}.json"
    if path.exists() and not force:
        raise OutputExistsError(
            f"{path} already exists; the verified fix was not written (pass --force to overwrite it)"
        )
    path.write_text(
        mask_secrets(json.dumps(fix.patch_json, indent=2, ensure_ascii=False)) + "\n", encoding="utf-8"
    )
    return path


__all__ = ["FixCheck", "best_check", "check_fixes", "finding_labels", "fork_directory", "write_fix"]
