"""``trace()``: one run recorded into one file, as a context manager (sync or async) or a decorator."""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import time
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
from agentdbg.capture.spans import CURRENT_SPAN, SpanHandle, error_info, new_span_id
from agentdbg.model.run_end import FINAL_TOOLS_KEY, RUN_ERROR

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

    def _close(self, error: BaseException | None = None) -> None:
        session, session_token, span_token = self._stack.pop()
        CURRENT_SPAN.reset(span_token)
        CURRENT_SESSION.reset(session_token)
        if session is not None:
            pop_session(session)
            if error is not None and _is_failure(error):
                record_run_error(session, error)
            session.close()

    def __enter__(self) -> TraceSession | None:
        return self._open()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)  # the exception (if any) goes on unchanged: we return None

    async def __aenter__(self) -> TraceSession | None:
        return self._open()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)

    def __call__(self, fn: F) -> F:
        scope_args = (self.name, self.path, self.metadata, self.redact)  # final_tools live in metadata
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


def _is_failure(error: BaseException) -> bool:
    """Exceptions and interrupts are failures; ``sys.exit(0)`` and generator cleanup are not."""
    if isinstance(error, GeneratorExit):
        return False
    if isinstance(error, SystemExit):
        return error.code not in (None, 0)
    return True


def record_run_error(session: TraceSession, error: BaseException) -> None:
    """Write the exception that ended the run as its last step (type, message, traceback; secrets masked)."""
    now = time.time()
    session.write(
        {
            "type": "span",
            "id": new_span_id(),
            "parent_id": None,
            "kind": "custom",
            "name": f"run raised {type(error).__name__}",
            "started_at": now,
            "ended_at": now,
            "input": None,
            "output": None,
            "attributes": {RUN_ERROR: True},
            "error": error_info(error),
        }
    )


def trace(
    name: str = "run",
    path: str | os.PathLike[str] | Path | None = None,
    metadata: dict[str, Any] | None = None,
    redact: Redactor | None = None,
    final_tools: list[str] | None = None,
) -> TraceScope:
    """Record one run into one trace file.

    Args:
        name: The run's name (shown by ``agentdbg show``; used in the default file name).
        path: Where to write; default ``$AGENTDBG_DIR/<name>-<UTC time>-<id>.jsonl``
            (``$AGENTDBG_DIR`` defaults to ``./traces``). An existing file is replaced.
        metadata: JSON-able key/values stored in the header (user id, git sha, ...).
        redact: ``str -> str`` applied to every recorded string (prompts, tool
            arguments and results, errors) before the built-in key masking.
        final_tools: Names of tools whose call is the run's final answer (structured output);
            stored in the header so ``replay`` ends there and ``diagnose`` counts it as the answer.

    Returns:
        A context manager (``with``/``async with``) yielding the session
        (``session.path``, ``session.trace_id``; ``None`` when ``AGENTDBG_DISABLED=1``),
        also usable as a decorator. An exception escaping it is recorded as the run's last
        step (``diagnose`` reports it) and re-raised unchanged.
    """
    if final_tools:
        metadata = {**(metadata or {}), FINAL_TOOLS_KEY: [str(tool) for tool in final_tools]}
    return TraceScope(name, path, metadata, redact)
