"""``agentdbg.replaying(...)``: code-level replay around the user's own call, in this process.

    with agentdbg.replaying("run.jsonl", from_step="step-5", patch=fix, out="fork.jsonl") as replay:
        run_agent("refund order 42")
    replay.served, replay.live        # how many LLM requests were answered from the record / sent

Wrapped (and instrumented) clients are answered from the trace up to the fork, the fork
step is patched, everything after it is live; ``trace()`` writes to ``out``. A request that
differs from the record before the fork makes the SDK raise its ``BadRequestError`` (the
message holds the difference) and, with ``on_divergence="stop"``, the block then raises
``ReplayDivergenceError``.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

from agentdbg.capture import playback
from agentdbg.errors import ReplayDivergenceError
from agentdbg.model.trace import Trace
from agentdbg.replay.player import Divergence, ForkSpec, OnDivergence, Player, ToolsPolicy


class Replaying:
    """The context manager ``replaying()`` returns; its attributes count what happened so far."""

    def __init__(self, trace: Trace | None, spec: ForkSpec) -> None:
        self.player = Player(spec, trace)
        self._previous: playback.Player | None = None

    @property
    def served(self) -> int:
        """LLM requests answered from the record."""
        return self.player.served

    @property
    def live(self) -> int:
        """LLM requests sent to the model (the patched fork step included)."""
        return self.player.sent_live + self.player.patched

    @property
    def tools_served(self) -> int:
        return self.player.tools_served

    @property
    def divergences(self) -> list[Divergence]:
        return list(self.player.divergences)

    def start(self) -> None:
        """Switch playback on for this process (what entering the block does).

        An automatic session the process opened before the replay (a decorated tool or a wrapped client
        called outside any ``trace()``) is closed first: what it recorded stays in its own file, and what
        the replayed code records goes to the fork, not into that older file.
        """
        from agentdbg.capture import session as sessions

        automatic = sessions._auto_session
        if automatic is not None and not automatic.closed and automatic.replaying is not self.player:
            automatic.close()
        self._previous = playback.activate(self.player)

    def stop(self) -> None:
        """Switch it off again (what leaving the block does, without raising).

        An automatic session (code that called no ``trace()``) opened during the replay wrote to the
        fork file; it is closed here, so what the process records next goes to a file of its own.
        """
        playback.activate(self._previous)
        from agentdbg.capture import session as sessions

        automatic = sessions._auto_session
        if automatic is not None and automatic.replaying is self.player:
            automatic.close()

    def __enter__(self) -> Replaying:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        stopped = self.player.stopped_at
        if stopped is not None and (exc is None or isinstance(exc, Exception)):
            raise ReplayDivergenceError(stopped) from exc


def replaying(
    trace: str | os.PathLike[str] | Trace,
    *,
    from_step: str | None = None,
    patch: Any = None,
    out: str | os.PathLike[str] | None = None,
    on_divergence: OnDivergence = "stop",
    tools: ToolsPolicy = "recorded",
    base_url: str | None = None,
) -> Replaying:
    """Replay the user's own code against a recorded trace inside a ``with`` block.

    Args:
        trace: The recorded run (a path or a ``Trace``).
        from_step: The step to fork at (``step-N``, ``last-llm``, ``tool:NAME``...); ``None`` answers every
            request from the record (a regression test).
        patch: JSON Patch / merge patch for the fork step's document (as ``agentdbg replay --patch``).
        out: Where ``trace()`` in the block writes (default: wherever the program says).
        on_divergence: ``stop`` (raise ``ReplayDivergenceError``), ``live`` (send it, live from there) or
            ``serve`` (answer from the record anyway).
        tools: ``recorded`` (decorated tools return their recorded result before the fork) or ``live``.
        base_url: Where live requests go (default: the program's own client's).

    Raises:
        StepNotFoundError, ReplayInputError: ``from_step`` names no llm/tool step.
    """
    from agentdbg.replay.engine import load_source

    source = load_source(trace)
    spec = ForkSpec(
        trace=str(source.source or ""),
        from_step=from_step,
        patch=patch,
        out=str(out) if out is not None else None,
        on_divergence=on_divergence,
        tools=tools,
        base_url=base_url,
        exit_on_stop=False,
    )
    return Replaying(source, spec)


__all__ = ["ReplayDivergenceError", "Replaying", "replaying"]
