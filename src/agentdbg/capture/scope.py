"""``trace()``: one run recorded into one file, as a context manager (sync or async) or a decorator."""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from agentdbg.capture.redact import Redactor
from agentdbg.capture.session import (
    CURRENT_SESSION,
    TraceSession,
    capture_disabled,
    pop_session,
    push_session,
)
from agentdbg.capture.spans import CURRENT_SPAN, SpanHandle

F = TypeVar("F", bound=Callable[..., Any])


class TraceScope:
    """Opens a ``TraceSession`` on enter and closes it on exit; yields the session (``.path``, ``.trace_id``)."""

    def __init__(
        self,
        name: str,
        path: str | os.PathLike[str] | None,
        metadata: dict[str, Any] | None,
        redact: Redactor | None,
    ) -> None:
        self.name, self.path, self.metadata, self.redact = name, path, metadata, redact
        self._stack: list[
            tuple[
                TraceSession | None,
                contextvars.Token[TraceSession | None],
                contextvars.Token[SpanHandle | None],
            ]
        ] = []

    def _open(self) -> TraceSession | None:
        session = None
        if not capture_disabled():
            session = TraceSession(self.name, self.path, self.metadata, self.redact)
            push_session(session)
        self._stack.append((session, CURRENT_SESSION.set(session), CURRENT_SPAN.set(None)))
        return session

    def _close(self) -> None:
        session, session_token, span_token = self._stack.pop()
        CURRENT_SPAN.reset(span_token)
        CURRENT_SESSION.reset(session_token)
        if session is not None:
            pop_session(session)
            session.close()

    def __enter__(self) -> TraceSession | None:
        return self._open()

    def __exit__(self, *exc: object) -> None:
        self._close()

    async def __aenter__(self) -> TraceSession | None:
        return self._open()

    async def __aexit__(self, *exc: object) -> None:
        self._close()

    def __call__(self, fn: F) -> F:
        scope_args = (self.name, self.path, self.metadata, self.redact)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with TraceScope(*scope_args):
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with TraceScope(*scope_args):
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]


def trace(
    name: str = "run",
    path: str | os.PathLike[str] | Path | None = None,
    metadata: dict[str, Any] | None = None,
    redact: Redactor | None = None,
) -> TraceScope:
    """Record one run into one trace file.

    Args:
        name: The run's name (shown by ``agentdbg show``; used in the default file name).
        path: Where to write; default ``$AGENTDBG_DIR/<name>-<UTC time>-<id>.jsonl``
            (``$AGENTDBG_DIR`` defaults to ``./traces``). An existing file is replaced.
        metadata: JSON-able key/values stored in the header (user id, git sha, ...).
        redact: ``str -> str`` applied to every recorded string (prompts, tool
            arguments and results, errors) before the built-in key masking.

    Returns:
        A context manager (``with``/``async with``) yielding the session
        (``session.path``, ``session.trace_id``; ``None`` when ``AGENTDBG_DISABLED=1``),
        also usable as a decorator.
    """
    return TraceScope(name, path, metadata, redact)
