"""``--repeat K``: run the same fork K times and measure how often each outcome happens."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentdbg.model.trace import Trace
from agentdbg.replay.engine import load_source, replay, resolve_output
from agentdbg.replay.errors import ReplayInputError
from agentdbg.replay.result import RepeatResult, ReplayResult, summarize_repeats
from agentdbg.replay.selectors import select_step


def repeat_paths(base: Path, count: int) -> list[Path]:
    """``fork.r1.jsonl`` … ``fork.rK.jsonl`` beside ``base``."""
    stem = base.name[: -len(".jsonl")] if base.name.endswith(".jsonl") else base.stem
    return [base.with_name(f"{stem}.r{number}.jsonl") for number in range(1, count + 1)]


def replay_repeat(
    trace: Trace | str | os.PathLike[str],
    start: str,
    count: int,
    *,
    output: str | os.PathLike[str] | None = None,
    force: bool = False,
    **options: Any,
) -> RepeatResult:
    """Run ``replay`` ``count`` times (outputs ``<out>.r1.jsonl`` …) and summarise the distribution.

    Args:
        trace: A ``Trace`` or a path to one.
        start: The ``--from`` selector.
        count: How many runs (at least 2).
        output: Base path of the forks (default ``<trace>.fork.jsonl``).
        force: Overwrite existing run files.
        **options: Everything else ``replay`` takes (patch, sets, model, tools, max_steps, ...).

    Raises:
        ReplayInputError: ``count`` below 2; plus everything ``replay`` raises.
    """
    return run_repeats(
        trace,
        start,
        count,
        lambda source, path: replay(source, start, output=path, force=True, **options),
        output=output,
        force=force,
    )


def run_repeats(
    trace: Trace | str | os.PathLike[str],
    start: str,
    count: int,
    run_one: Callable[[Trace, Path], ReplayResult],
    *,
    output: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> RepeatResult:
    """``count`` runs of one fork by either engine (``run_one(source, fork_path)``), summarised.

    Raises:
        ReplayInputError: ``count`` below 2; OutputExistsError: a run's file exists without ``force``.
    """
    if count < 2:
        raise ReplayInputError(f"--repeat needs at least 2 runs (got {count})")
    source = load_source(trace)
    base = resolve_output(source, output, force=True)
    paths = repeat_paths(base, count)
    for path in paths:
        resolve_output(source, path, force)  # refuse before the first run, not half way
    runs = [run_one(source, path) for path in paths]
    return summarize_repeats(runs, select_step(source, start).step)
