"""Record model-API calls made through httpx without an official SDK (litellm's Anthropic path, raw clients).

``instrument()`` replaces ``Client.send`` / ``AsyncClient.send`` of ``httpx`` and
``httpx2`` (the public method every request of a client goes through) with
``send`` below, the one hook for this path. A POST whose path ends in
``/chat/completions``, ``/responses`` or ``/messages`` and whose JSON body has
the API's shape (``model`` plus ``messages`` or ``input``) becomes an llm step,
exactly as a wrapped SDK call does (same ``LLMCall``). A call already being
recorded by a wrapped SDK client passes straight through, so nothing is doubled.
While code-level replay is on, the client is routed through playback with the
same ``capture.playback.install`` the SDK clients use.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from collections.abc import Callable
from typing import Any

import orjson

from agentdbg.capture import playback
from agentdbg.capture.clients import _tee_body
from agentdbg.capture.llm import CURRENT_CALL, ENDPOINTS, LLMCall, endpoint_for
from agentdbg.capture.session import capture_disabled
from agentdbg.errors import HTTPStatusFailure

HTTPX_MODULES = ("httpx", "httpx2")
_BODY_FIELD = {"/chat/completions": b'"messages"', "/messages": b'"messages"', "/responses": b'"input"'}
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


def _model_call(request: Any) -> LLMCall | None:
    """An ``LLMCall`` when ``request`` is a model-API call no wrapped client is recording already."""
    if CURRENT_CALL.get() is not None or capture_disabled():
        return None
    url = str(request.url)
    endpoint = endpoint_for(str(request.method), url)
    if endpoint is None:
        return None
    try:
        content = request.content
    except Exception:  # noqa: BLE001 - a streamed request body: not a JSON model call
        return None
    path = url.split("?", 1)[0].rstrip("/")
    suffix = next(s for s in ENDPOINTS if path.endswith(s))
    if (
        not content.lstrip().startswith(b"{")
        or b'"model"' not in content
        or _BODY_FIELD[suffix] not in content
    ):
        return None
    try:
        return LLMCall(endpoint[0], endpoint[1], suffix, path[: -len(suffix)])
    except Exception:  # noqa: BLE001 - an unexpected shape must not break the call; it goes unrecorded
        return None


def _started(client: Any, call: LLMCall, request: Any) -> None:
    try:
        call.on_request(request.content)
        if playback.player() is not None:
            playback.install(client)
    except Exception as exc:  # noqa: BLE001 - recording never raises into user code
        call.session.warn_once(f"cannot record a raw httpx model call ({type(exc).__name__}: {exc})")


def _answered(call: LLMCall, response: Any, is_async: bool) -> None:
    """Hand the response to the call: its body (read already, or tee'd as the caller reads it)."""
    try:
        if not call.on_response(response.status_code, response.headers):
            try:
                body: Any = orjson.loads(response.content)
            except Exception:  # noqa: BLE001 - unread or non-JSON error body
                body = None
            call.on_error(HTTPStatusFailure(response.status_code, body))
            return
        try:
            content = response.content  # read already (not a stream)
        except Exception:  # noqa: BLE001 - httpx's ResponseNotRead: a stream the caller reads later
            _tee_body(response, call, is_async)
        else:
            call.on_chunk(content)
            call.on_body_end()
        call.on_return()
    except Exception as exc:  # noqa: BLE001 - recording never raises into user code
        call.session.warn_once(f"cannot record a raw httpx model call ({type(exc).__name__}: {exc})")


def _sync_send(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        call = _model_call(request)
        if call is None:
            return original(self, request, *args, **kwargs)
        token = CURRENT_CALL.set(call)
        try:
            _started(self, call, request)
            response = original(self, request, *args, **kwargs)
        except BaseException as exc:
            call.on_error(exc)
            raise
        finally:
            CURRENT_CALL.reset(token)
        _answered(call, response, is_async=False)
        return response

    send.__agentdbg_original__ = original  # type: ignore[attr-defined]
    return send


def _async_send(original: Callable[..., Any]) -> Callable[..., Any]:
    async def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        call = _model_call(request)
        if call is None:
            return await original(self, request, *args, **kwargs)
        token = CURRENT_CALL.set(call)
        try:
            _started(self, call, request)
            response = await original(self, request, *args, **kwargs)
        except BaseException as exc:
            call.on_error(exc)
            raise
        finally:
            CURRENT_CALL.reset(token)
        _answered(call, response, is_async=True)
        return response

    send.__agentdbg_original__ = original  # type: ignore[attr-defined]
    return send


def hook_httpx() -> None:
    """Replace ``send`` on the installed httpx modules' clients (idempotent)."""
    for name in HTTPX_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        for cls_name in ("Client", "AsyncClient"):
            cls = getattr(module, cls_name, None)
            if cls is None or (cls, "send") in _originals:
                continue
            original = cls.send
            _originals[(cls, "send")] = original
            cls.send = (
                _async_send(original) if inspect.iscoroutinefunction(original) else _sync_send(original)
            )


def unhook_httpx() -> None:
    """Put the original ``send`` methods back."""
    for (cls, attribute), original in list(_originals.items()):
        setattr(cls, attribute, original)
        del _originals[(cls, attribute)]
