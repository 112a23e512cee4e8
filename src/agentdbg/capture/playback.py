"""Playback at the HTTP transport: answer a wrapped client's LLM requests from a recorded trace.

Code-level replay (``agentdbg replay TRACE --from STEP -- CMD``, ``agentdbg.replaying()``,
the pytest plugin) switches on a *player*: an object that decides, for each LLM request a
wrapped client sends, whether it is answered from the record, patched and sent, or sent
live, and, for each ``@tool`` call, whether the recorded result is returned. This module is
the capture side only: it knows no trace, patch or divergence rule (those live in
``agentdbg.replay.player``). It swaps the SDK's httpx transport for one that asks the
player, so every SDK path (plain, ``stream=True``, ``.stream()``, raw and streaming
responses, sync and async) is served through the SDK's own parsing.

``install(http_client)`` is the one hook: ``capture.clients`` calls it for every client it
records (wrapped or caught by ``instrument()``) while a player is active.
"""

from __future__ import annotations

import importlib
import os
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Protocol

ENV_SPEC = "AGENTDBG_REPLAY"  # path of the fork spec written by ``agentdbg replay ... --``


@dataclass
class Decision:
    """What playback does with one LLM request.

    ``origin`` is recorded on the step; ``answer`` (status, content type, body) is served
    without any network traffic; ``send_body`` replaces the outgoing body (the patched fork
    step); ``base_url`` redirects a live request; ``stop`` ends the program (divergence).
    """

    origin: str
    answer: tuple[int, str, bytes] | None = None
    send_request: dict[str, Any] | None = None
    base_url: str | None = None
    diverged: str | None = None
    stop: bool = False


@dataclass
class ToolDecision:
    """What playback does with one ``@tool`` call: run it, or return ``value`` (or raise ``error``)."""

    origin: str
    run: bool
    value: Any = None
    error: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


class Player(Protocol):
    """The replay side (``agentdbg.replay.player.Player``) as capture sees it."""

    def llm_request(self, provider: str, api: str, request: Any) -> Decision: ...

    def tool_call(self, name: str, arguments: dict[str, Any]) -> ToolDecision | None: ...

    def phase_origin(self) -> str: ...

    def trace_path(self, requested: str | os.PathLike[str] | None) -> str | None: ...

    def header_fields(self) -> dict[str, Any]: ...

    def stopped(self, decision: Decision, session: Any) -> None: ...


_active: Player | None = None
_environment_read = False
_lock = threading.Lock()
_installed: weakref.WeakSet[Any] = weakref.WeakSet()


def activate(player: Player | None) -> Player | None:
    """Make ``player`` the process's player (``None`` switches playback off); returns the previous one."""
    global _active, _environment_read
    with _lock:
        previous, _active = _active, player
        _environment_read = True  # an explicit player wins over the environment
    return previous


def player() -> Player | None:
    """The active player; the first call reads ``$AGENTDBG_REPLAY`` (set by ``agentdbg replay ... --``)."""
    global _active, _environment_read
    if _environment_read:
        return _active
    with _lock:
        if not _environment_read:
            _environment_read = True
            spec = os.environ.get(ENV_SPEC)
            if spec:
                # The replay package loads only in a program started by ``agentdbg replay ... --``.
                from agentdbg.replay.player import player_from_spec_file

                _active = player_from_spec_file(spec)
    return _active


def _httpx_of(obj: Any) -> Any:
    """The httpx module (``httpx`` or ``httpx2``) an SDK object comes from."""
    return importlib.import_module(type(obj).__module__.split(".", 1)[0])


def _forward_request(httpx: Any, request: Any, decision: Decision, path_suffix: str) -> Any:
    """The request to send on: patched body and/or another base URL, else ``request`` itself."""
    if decision.send_request is None and not decision.base_url:
        return request
    import orjson

    url = request.url
    if decision.base_url:
        url = httpx.URL(decision.base_url.rstrip("/") + path_suffix, params=request.url.params)
    headers = [
        (k, v) for k, v in request.headers.multi_items() if k.lower() not in ("content-length", "host")
    ]
    content = orjson.dumps(decision.send_request) if decision.send_request is not None else request.content
    return httpx.Request(request.method, url, headers=headers, content=content, extensions=request.extensions)


def _answer(httpx: Any, request: Any, answer: tuple[int, str, bytes]) -> Any:
    status, content_type, body = answer
    headers = {"content-type": content_type, "x-request-id": "agentdbg-replay"}
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body), request=request)


def _route(request: Any) -> tuple[Any, Decision, str] | None:
    """The current recorded call and its playback decision, when this request is one playback handles."""
    from agentdbg.capture.llm import CURRENT_CALL

    call = CURRENT_CALL.get()
    if call is None or call.playback is None or not call.matches(request.url.path):
        return None
    return call, call.playback, call.path_suffix


class _PlaybackTransport:
    """Wraps the SDK's transport: serves recorded answers, patches the fork step, passes live ones on."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def _prepare(self, request: Any) -> tuple[Any, Any]:
        """(response to serve, None) or (None, request to forward)."""
        routed = _route(request)
        if routed is None:
            return None, request
        call, decision, suffix = routed
        httpx = _httpx_of(request)
        if decision.stop:
            active = player()
            if active is not None:
                active.stopped(decision, call.session)  # a program run by the CLI ends here
            return _answer(httpx, request, _divergence_answer(decision)), None
        if decision.answer is not None:
            return _answer(httpx, request, decision.answer), None
        return None, _forward_request(httpx, request, decision, suffix)

    def handle_request(self, request: Any) -> Any:
        response, forward = self._prepare(request)
        return response if response is not None else self._inner.handle_request(forward)

    async def handle_async_request(self, request: Any) -> Any:
        response, forward = self._prepare(request)
        return response if response is not None else await self._inner.handle_async_request(forward)

    def __getattr__(self, name: str) -> Any:  # close/aclose/__enter__... of the real transport
        return getattr(self._inner, name)

    def __enter__(self) -> Any:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    async def __aenter__(self) -> Any:
        await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._inner.__aexit__(*exc)


def _divergence_answer(decision: Decision) -> tuple[int, str, bytes]:
    """A 400 both SDKs turn into their ``BadRequestError`` with the divergence as its message (never retried)."""
    import orjson

    message = f"agentdbg replay: {decision.diverged}"
    body = {"type": "error", "error": {"type": "agentdbg_replay_divergence", "message": message}}
    return 400, "application/json", orjson.dumps(body)


def install(http_client: Any) -> None:
    """Route ``http_client``'s requests through playback (idempotent; needs httpx's ``_transport``/``_mounts``).

    Relies on httpx internals (the client's transport attributes); a client without them is
    left alone and the session warns once, never a silent miss.
    """
    if http_client in _installed:
        return
    transport = getattr(http_client, "_transport", None)
    mounts = getattr(http_client, "_mounts", None)
    if transport is None or not isinstance(mounts, dict):
        raise TypeError(f"{type(http_client).__name__} has no httpx transport to replay through")
    http_client._transport = _PlaybackTransport(transport)
    for pattern, mounted in list(mounts.items()):
        if mounted is not None and not isinstance(mounted, _PlaybackTransport):
            mounts[pattern] = _PlaybackTransport(mounted)
    _installed.add(http_client)


__all__ = ["ENV_SPEC", "Decision", "Player", "ToolDecision", "activate", "install", "player"]
