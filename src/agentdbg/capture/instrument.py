"""``instrument()``: record every OpenAI / Anthropic client created from now on, and raw httpx model calls.

Frameworks build their SDK clients themselves (often deep inside, e.g.
langchain-anthropic's ``_client``), so wrapping them by hand needs private
attributes. ``instrument()`` makes the SDKs' public client classes (``OpenAI``,
``AsyncOpenAI``, ``Anthropic``, ``AsyncAnthropic``; ``AzureOpenAI`` and any
subclass through them) call ``wrap_openai``/``wrap_anthropic`` at the end of
``__init__``, so every client, including those made by ``with_options()`` and
``copy()``, records as if wrapped. It also hooks httpx's ``send``
(``capture.rawhttp``) for calls made without the SDKs. ``uninstrument()`` puts
everything back (the clients it made record no more).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import threading
import weakref
from collections.abc import Callable
from typing import Any

from agentdbg.capture.clients import _wrap
from agentdbg.capture.rawhttp import hook_httpx, unhook_httpx
from agentdbg.capture.session import capture_disabled

# (module, class name, provider); subclasses (AzureOpenAI, user subclasses) run these __init__s too.
SDK_CLIENT_CLASSES = (
    ("openai", "OpenAI", "openai"),
    ("openai", "AsyncOpenAI", "openai"),
    ("anthropic", "Anthropic", "anthropic"),
    ("anthropic", "AsyncAnthropic", "anthropic"),
)
_patched: dict[type, Callable[..., Any]] = {}
_recording_clients: weakref.WeakSet[Any] = weakref.WeakSet()  # the clients instrument() made record
_lock = threading.Lock()


def _recording_init(original: Callable[..., Any], provider: str) -> Callable[..., Any]:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if capture_disabled():
            return
        plain = type(self)
        try:
            _wrap(self, provider, provider)
        except Exception:  # noqa: BLE001 - a client we cannot record is still the user's working client
            return
        if type(self) is not plain:
            _recording_clients.add(self)

    __init__.__agentdbg_original__ = original  # type: ignore[attr-defined]
    return __init__


def instrument() -> None:
    """Record every OpenAI and Anthropic client created after this call, anywhere in the process.

    Sync and async clients, Azure clients, and clients derived with ``with_options()``/``copy()``
    record exactly as ``wrap_openai``/``wrap_anthropic`` would; calls to ``/chat/completions``,
    ``/responses`` and ``/messages`` made through httpx without the SDKs (litellm's Anthropic path)
    are recorded too. Calling it again does nothing; ``AGENTDBG_DISABLED=1`` turns it off
    (at this call, and at each recorded call).
    """
    if capture_disabled():
        return
    with _lock:
        for module_name, class_name, provider in SDK_CLIENT_CLASSES:
            if importlib.util.find_spec(module_name) is None:
                continue
            cls = getattr(importlib.import_module(module_name), class_name, None)
            if cls is None or cls in _patched:
                continue
            original = cls.__dict__["__init__"]
            _patched[cls] = original
            cls.__init__ = _recording_init(original, provider)
        hook_httpx()


def uninstrument() -> None:
    """Undo ``instrument()``: the clients it made record no more, and new ones are plain.

    Clients you wrapped yourself with ``wrap_openai``/``wrap_anthropic`` before it keep recording.
    """
    with _lock:
        for cls, original in list(_patched.items()):
            cls.__init__ = original  # type: ignore[misc]
            del _patched[cls]
        for client in list(_recording_clients):
            client.__class__ = type(client).__mro__[1]  # the SDK's own class under the recording subclass
        _recording_clients.clear()
        unhook_httpx()


def instrumented() -> bool:
    """True between ``instrument()`` and ``uninstrument()``."""
    return bool(_patched)
