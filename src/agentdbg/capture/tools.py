"""``@tool``: record each call of a tool function, linked to the LLM tool call that asked for it."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, overload

from agentdbg.capture import playback
from agentdbg.capture.session import active_session, capture_disabled
from agentdbg.capture.spans import CURRENT_SPAN, SpanHandle
from agentdbg.errors import ReplayedToolError

F = TypeVar("F", bound=Callable[..., Any])


def _bound_arguments(
    signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The call's arguments by name, as given and with defaults filled in (``self``/``cls`` left out)."""
    if signature is None:
        given = {"args": list(args), **kwargs} if args else dict(kwargs)
        return given, given
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        given = {"args": list(args), **kwargs} if args else dict(kwargs)
        return given, given
    given = {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}
    bound.apply_defaults()
    full = {k: v for k, v in bound.arguments.items() if k not in ("self", "cls")}
    return given, full


def _start(
    name: str, signature: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[SpanHandle, playback.ToolDecision | None]:
    session = active_session()
    given, full = _bound_arguments(signature, args, kwargs)
    call_id = session.claim_tool_call(name, [given, full])
    active = playback.player()
    decision = active.tool_call(name, given) if active is not None else None
    handle = SpanHandle(
        session,
        name,
        "tool",
        input={"name": name, "arguments": given, "call_id": call_id},
        attributes=decision.notes if decision is not None else None,
        origin=decision.origin if decision is not None else None,
    )
    return handle, decision


def _played(handle: SpanHandle, decision: playback.ToolDecision) -> Any:
    """End a tool step with the result playback chose instead of running the tool (or raise its error)."""
    if decision.error is not None:
        handle.end(error=decision.error)
        raise ReplayedToolError(decision.error)
    handle.end(output=decision.value)
    return decision.value


@overload
def tool(fn: F, *, name: str | None = None) -> F: ...


@overload
def tool(fn: None = None, *, name: str | None = None) -> Callable[[F], F]: ...


def tool(fn: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
    """Record every call of a tool function (sync or async) as a ``tool`` step.

    The step holds the tool name, its arguments by parameter name, the result (or
    the exception, re-raised unchanged) and its latency. Its ``call_id`` is taken
    from the LLM answer that asked for this tool with the same arguments.

    Args:
        fn: The tool function (``@tool``), or nothing (``@tool(name="search")``).
        name: The name the model knows the tool by (default: the function's name).
    """
    if fn is None:
        return lambda f: tool(f, name=name)
    tool_name: str = name or str(getattr(fn, "__name__", "tool"))
    try:
        signature: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            if capture_disabled():
                return await fn(*args, **kwargs)
            handle, decision = _start(tool_name, signature, args, kwargs)
            if decision is not None and not decision.run:
                return _played(handle, decision)
            token = CURRENT_SPAN.set(handle)
            try:
                result = await fn(*args, **kwargs)
            except BaseException as exc:
                handle.end(error=exc)
                raise
            finally:
                CURRENT_SPAN.reset(token)
            handle.end(output=result)
            return result

        return run_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if capture_disabled():
            return fn(*args, **kwargs)
        handle, decision = _start(tool_name, signature, args, kwargs)
        if decision is not None and not decision.run:
            return _played(handle, decision)
        token = CURRENT_SPAN.set(handle)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            handle.end(error=exc)
            raise
        finally:
            CURRENT_SPAN.reset(token)
        handle.end(output=result)
        return result

    return run  # type: ignore[return-value]
