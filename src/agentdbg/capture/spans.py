"""Steps of a run: a handle that writes ``span_start`` at once and ``span_end`` once, and ``span()`` for users.

Nesting follows ``contextvars``, so it is right across ``await`` and asyncio
tasks; ``carry_context`` hands the current span to thread-pool workers.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import os
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from agentdbg.capture.session import TraceSession, active_session, capture_disabled
from agentdbg.model.records import SPAN_KINDS
from agentdbg.store.body_prefix import SentBody

F = TypeVar("F", bound=Callable[..., Any])

CURRENT_SPAN: contextvars.ContextVar[SpanHandle | None] = contextvars.ContextVar(
    "agentdbg_span", default=None
)
_UNSET: Any = object()


def new_span_id() -> str:
    return os.urandom(8).hex()


def error_info(exc: BaseException) -> dict[str, Any]:
    """Type, message, HTTP status and body (for API errors) and a short traceback."""
    info: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        info["status_code"] = status
    body = getattr(exc, "body", None)
    if body is not None:
        info["body"] = body
    info["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=8))[
        -4000:
    ]
    return info


class SpanHandle:
    """A step being recorded. Set its output, attributes or usage before it ends."""

    def __init__(
        self,
        session: TraceSession | None,
        name: str,
        kind: str,
        *,
        input: Any = None,
        attributes: dict[str, Any] | None = None,
        parent_id: str | None | Any = _UNSET,
        started_at: float | None = None,
        origin: str | None = None,
        diverged: bool = False,
        extra: dict[str, Any] | None = None,
        sent: SentBody | None = None,
        before: list[dict[str, Any]] | None = None,
    ) -> None:
        """``extra``: more top-level fields of the start record; ``sent``: an llm request's body as sent;
        ``before``: records written just ahead of the start, in the same write (``TraceSession.write``)."""
        self.session = session
        self.id = new_span_id()
        self.name = name
        self.kind = kind if kind in SPAN_KINDS else "custom"
        if parent_id is _UNSET:
            parent = CURRENT_SPAN.get()
            parent_id = parent.id if parent is not None and parent.session is session else None
        self.parent_id: str | None = parent_id
        self.started_at = started_at if started_at is not None else time.time()
        self.output: Any = None
        self.usage: dict[str, Any] | None = None
        self.end_attributes: dict[str, Any] = {}
        self.ended = False
        self._lock = threading.Lock()
        if session is not None:
            record = {
                "type": "span_start",
                "id": self.id,
                "parent_id": self.parent_id,
                "kind": self.kind,
                "name": name,
                "started_at": self.started_at,
                "input": input,
                "attributes": dict(attributes or {}),
            }
            if origin is None and session.replaying:  # code-level replay: every step says where it came from
                origin = session.replaying.phase_origin()
            if origin is not None:
                record["origin"] = origin
            if diverged:
                record["diverged"] = True
            if extra:
                record.update(extra)
            session.write(record, sent=sent, before=before)

    def set_output(self, output: Any) -> None:
        """What the step produced (written when it ends)."""
        self.output = output

    def set_attribute(self, key: str, value: Any) -> None:
        """An extra attribute recorded with the end of the step."""
        self.end_attributes[key] = value

    def set_usage(self, usage: dict[str, Any]) -> None:
        """Token counts in neutral names (``input_tokens``, ``output_tokens``, ...)."""
        self.usage = usage

    def end(self, *, output: Any = _UNSET, error: BaseException | dict[str, Any] | None = None) -> None:
        """Write ``span_end`` (only the first call writes)."""
        with self._lock:
            if self.ended:
                return
            self.ended = True
        if output is not _UNSET:
            self.output = output
        if self.session is None:
            return
        record: dict[str, Any] = {
            "type": "span_end",
            "id": self.id,
            "ended_at": time.time(),
            "output": self.output,
            "attributes": self.end_attributes,
        }
        if error is not None:
            record["error"] = error if isinstance(error, dict) else error_info(error)
        if self.usage:
            record["usage"] = self.usage
        self.session.write(record)


def current_span() -> SpanHandle | None:
    """The span the code is running in (``None`` outside any span)."""
    return CURRENT_SPAN.get()


class _SpanScope:
    """``span(...)``: a context manager (sync and async) and a decorator for sync/async functions."""

    def __init__(self, name: str, kind: str, input: Any, attributes: dict[str, Any] | None) -> None:
        self.name, self.kind, self.input, self.attributes = name, kind, input, attributes
        self._stack: list[tuple[SpanHandle, contextvars.Token[SpanHandle | None]]] = []

    def _open(self) -> SpanHandle:
        session = None if capture_disabled() else active_session()
        handle = SpanHandle(session, self.name, self.kind, input=self.input, attributes=self.attributes)
        self._stack.append((handle, CURRENT_SPAN.set(handle)))
        return handle

    def _close(self, exc: BaseException | None) -> None:
        handle, token = self._stack.pop()
        CURRENT_SPAN.reset(token)
        handle.end(error=exc)

    def __enter__(self) -> SpanHandle:
        return self._open()

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)

    async def __aenter__(self) -> SpanHandle:
        return self._open()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self._close(exc)

    def __call__(self, fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with span(self.name, kind=self.kind, input=self.input, attributes=self.attributes):
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with span(self.name, kind=self.kind, input=self.input, attributes=self.attributes):
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]


def span(
    name: str, kind: str = "custom", *, input: Any = None, attributes: dict[str, Any] | None = None
) -> _SpanScope:
    """Record a step (``agent``, ``retrieval`` or ``custom``) around a block or a function.

    Args:
        name: What the step is, e.g. ``"plan"`` or ``"search_docs"``.
        kind: ``agent`` (groups sub-steps), ``retrieval``, ``custom`` (also ``llm``/``tool``).
        input: What the step starts from (recorded at once, before it runs).
        attributes: Extra key/values recorded at the start.

    Returns:
        A context manager (``with``/``async with``, yielding a ``SpanHandle`` with
        ``set_output``/``set_attribute``) that also works as a decorator. An exception
        leaving the block is recorded as the step's error and re-raised.
    """
    return _SpanScope(name, kind, input, attributes)


def carry_context(fn: F) -> F:
    """Wrap ``fn`` so it runs in the caller's context (current trace and span) on another thread.

    Use it when handing work to a thread pool: ``pool.submit(carry_context(work), item)``.
    Each call runs in its own copy of the captured context, so many threads may run it at once.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        return captured.copy().run(fn, *args, **kwargs)

    return run  # type: ignore[return-value]
