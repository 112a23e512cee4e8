"""``wrap_openai`` / ``wrap_anthropic``: make an SDK client record every LLM call it makes.

The client's class is swapped for a same-named subclass whose ``request()``
(the one method every resource, ``with_raw_response``, ``.stream()`` and
``.parse()`` helper goes through, in both SDKs) opens an ``LLMCall``. The SDK's
``copy()``/``with_options()`` build new clients with ``self.__class__``, so
derived clients record too. Attempts and the response body are seen through
event hooks on the SDK's httpx client. Nothing the user sees changes: same
objects, same streams, same exceptions.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from agentdbg.capture import compat, playback
from agentdbg.capture.llm import CURRENT_CALL, LLMCall, endpoint_for
from agentdbg.capture.session import active_session, capture_disabled
from agentdbg.errors import CaptureError
from agentdbg.secrets import clean_url, register_secret

C = TypeVar("C")
_recording_classes: dict[type, type] = {}
_hooked_http_clients: weakref.WeakSet[Any] = weakref.WeakSet()
_hooks_lock = threading.Lock()


def _warn(call: LLMCall | None, exc: BaseException) -> None:
    if call is not None:
        call.session.warn_once(f"internal capture error ({type(exc).__name__}: {exc})")


_ENDPOINTS_SEEN: dict[
    tuple[str, str, str], tuple[str, str] | None
] = {}  # (provider, method, url) -> (api, suffix)
_ENDPOINTS_SEEN_MAX = 512  # SDK paths are few; URLs with ids in them stop being remembered here


def _endpoint(provider: str, method: str, url: str) -> tuple[str, str] | None:
    """The (api, path suffix) of a recorded request of ``provider``, ``None`` for any other request."""
    key = (provider, method, url)
    try:
        return _ENDPOINTS_SEEN[key]
    except KeyError:
        pass
    found: tuple[str, str] | None = None
    endpoint = endpoint_for(method, url)
    if endpoint is not None and endpoint[0] == provider:
        suffix = next(
            s
            for s in ("/chat/completions", "/responses", "/messages")
            if url.split("?")[0].rstrip("/").endswith(s)
        )
        found = (endpoint[1], suffix)
    if len(_ENDPOINTS_SEEN) < _ENDPOINTS_SEEN_MAX:
        _ENDPOINTS_SEEN[key] = found
    return found


def _begin(client: Any, options: Any, provider: str) -> LLMCall | None:
    """An ``LLMCall`` for this request when it is an LLM endpoint and recording is on."""
    if capture_disabled():
        return None
    try:
        endpoint = _endpoint(provider, str(options.method), str(options.url))
        if endpoint is None:
            return None
        http_client, url = client._client, client.base_url
        # (hooked httpx client, base URL object, the URL as written): what the last call of this client set up
        known = client.__dict__.get("_agentdbg_client")
        if known is None or known[0] is not http_client or known[1] is not url:
            _install_hooks(http_client)
            register_secret(getattr(client, "api_key", None))  # masked by value wherever it is echoed
            known = client.__dict__["_agentdbg_client"] = (http_client, url, clean_url(str(url)))
        if playback.player() is not None:
            try:
                playback.install(http_client)
            except TypeError as exc:  # not an httpx client: say so, never serve silently from the network
                active_session().warn_once(f"code-level replay cannot answer this client's requests ({exc})")
        call = LLMCall(provider, endpoint[0], endpoint[1], known[2])
        compat.flush_pending(call.session)
        return call
    except Exception as exc:  # noqa: BLE001 - an unknown SDK shape must not break the call: it goes unrecorded, loudly
        compat.cannot_hook(provider, f"{type(exc).__name__}: {exc}", session=_session_or_none())
        return None


def _session_or_none() -> Any:
    """The trace a failed call belongs to, for the warning step (``None`` if even that cannot be had)."""
    try:
        return active_session()
    except Exception:  # noqa: BLE001 - the stderr warning is still given
        return None


def _recording_class(cls: type, provider: str) -> type:
    existing = _recording_classes.get(cls)
    if existing is not None:
        return existing
    original = cls.request  # type: ignore[attr-defined]

    if inspect.iscoroutinefunction(original):

        async def request_async(self: Any, cast_to: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
            call = _begin(self, options, provider)
            if call is None:
                return await original(self, cast_to, options, *args, **kwargs)
            token = CURRENT_CALL.set(call)
            try:
                result = await original(self, cast_to, options, *args, **kwargs)
            except BaseException as exc:
                call.on_error(exc)
                raise
            finally:
                CURRENT_CALL.reset(token)
            call.on_return()
            return result

        request: Any = request_async
    else:

        def request_sync(self: Any, cast_to: Any, options: Any, *args: Any, **kwargs: Any) -> Any:
            call = _begin(self, options, provider)
            if call is None:
                return original(self, cast_to, options, *args, **kwargs)
            token = CURRENT_CALL.set(call)
            try:
                result = original(self, cast_to, options, *args, **kwargs)
            except BaseException as exc:
                call.on_error(exc)
                raise
            finally:
                CURRENT_CALL.reset(token)
            call.on_return()
            return result

        request = request_sync

    namespace = {
        "request": request,
        "_agentdbg_provider": provider,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    recording = type(cls.__name__, (cls,), namespace)
    _recording_classes[cls] = recording
    return recording


def _wrap(client: C, provider: str, sdk_hint: str) -> C:
    if not callable(getattr(client, "request", None)) or not hasattr(client, "_client"):
        raise CaptureError(
            f"wrap_{provider}() expects an {sdk_hint} client instance, got {type(client).__name__}",
            hint=f"pass the client object, e.g. wrap_{provider}({sdk_hint}())",
        )
    if capture_disabled() or getattr(type(client), "_agentdbg_provider", None):
        return client
    reason = compat.unhookable_reason(client)
    if reason is not None:  # an SDK whose internals changed: said once, calls go on unrecorded
        compat.cannot_hook(provider, reason)
        return client
    client.__class__ = _recording_class(type(client), provider)
    return client


def wrap_openai(client: C) -> C:
    """Record every chat.completions / responses call of an ``OpenAI`` or ``AsyncOpenAI`` client.

    Args:
        client: The client; it is changed in place and returned (clients derived
            from it with ``with_options()``/``copy()`` record too).

    Returns:
        The same client object. With ``AGENTDBG_DISABLED=1`` it is returned untouched.

    Raises:
        CaptureError: ``client`` is not an SDK client.
    """
    return _wrap(client, "openai", "OpenAI/AsyncOpenAI")


def wrap_anthropic(client: C) -> C:
    """Record every messages call of an ``Anthropic`` or ``AsyncAnthropic`` client (see ``wrap_openai``)."""
    return _wrap(client, "anthropic", "Anthropic/AsyncAnthropic")


# --- httpx(2) event hooks: each attempt, and a tee on the body of the successful one ---


def _on_request(request: Any) -> None:
    call = CURRENT_CALL.get()
    if call is None or not call.matches(request.url.path):
        return
    try:
        try:
            content = request.content
        except Exception:  # noqa: BLE001 - a streamed (unread) body: record what we can
            content = b""
        call.on_request(content)
    except Exception as exc:  # noqa: BLE001 - recording never raises into user code
        _warn(call, exc)


def _on_response(response: Any, is_async: bool = False) -> None:
    call = CURRENT_CALL.get()
    if call is None or not call.matches(response.request.url.path):
        return
    try:
        if call.on_response(response.status_code, response.headers):
            _tee_body(response, call, is_async)
    except Exception as exc:  # noqa: BLE001 - recording never raises into user code
        _warn(call, exc)


async def _on_request_async(request: Any) -> None:
    _on_request(request)


async def _on_response_async(response: Any) -> None:
    _on_response(response, is_async=True)


def _install_hooks(http_client: Any) -> None:
    with _hooks_lock:  # threads making a client's first calls at once: its hooks go on once
        if http_client not in _hooked_http_clients:
            _add_hooks(http_client)


def _add_hooks(http_client: Any) -> None:
    is_async = inspect.iscoroutinefunction(getattr(http_client, "send", None))
    hooks = http_client.event_hooks
    hooks["request"].append(_on_request_async if is_async else _on_request)
    hooks["response"].append(_on_response_async if is_async else _on_response)
    http_client.event_hooks = hooks
    _hooked_http_clients.add(http_client)


def _untee(response: Any, wrappers: dict[str, Any]) -> None:
    """Take the tee's wrappers off a response whose body has ended.

    The wrappers hold the response's own bound methods, a reference cycle that
    would leave every response (and its connection objects) to the cyclic GC;
    once the body is over they have nothing left to see, so the response gets
    its class's methods back and is freed as soon as the SDK drops it.
    """
    attributes = vars(response)
    for name, wrapper in wrappers.items():
        if attributes.get(name) is wrapper:  # not replaced since by someone else
            del attributes[name]
    wrappers.clear()  # the wrappers refer to this dict too: no cycle left behind


def _tee_body(response: Any, call: LLMCall, is_async: bool) -> None:
    """See every body byte the SDK reads, however it reads it; end the body on completion or close."""
    wrappers: dict[str, Any] = {}

    def body_end(error: BaseException | None = None) -> None:
        try:
            call.on_body_end(error)
        finally:
            _untee(response, wrappers)

    if is_async:
        original_aiter = response.aiter_bytes
        original_aclose = response.aclose

        async def aiter_bytes(chunk_size: int | None = None) -> AsyncIterator[bytes]:
            try:
                async for chunk in original_aiter(chunk_size):
                    call.on_chunk(chunk)
                    yield chunk
            except GeneratorExit:
                body_end()
                raise
            except BaseException as exc:
                body_end(exc)
                raise
            body_end()

        async def aclose() -> None:
            try:
                await original_aclose()
            finally:
                body_end()

        wrappers.update(aiter_bytes=aiter_bytes, aclose=aclose)
    else:
        original_iter = response.iter_bytes
        original_close = response.close

        def iter_bytes(chunk_size: int | None = None) -> Iterator[bytes]:
            try:
                for chunk in original_iter(chunk_size):
                    call.on_chunk(chunk)
                    yield chunk
            except GeneratorExit:
                body_end()
                raise
            except BaseException as exc:
                body_end(exc)
                raise
            body_end()

        def close() -> None:
            try:
                original_close()
            finally:
                body_end()

        wrappers.update(iter_bytes=iter_bytes, close=close)
    for name, wrapper in wrappers.items():
        setattr(response, name, wrapper)
