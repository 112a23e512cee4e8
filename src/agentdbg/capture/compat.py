"""The SDK internals capture relies on, checked in one place, and the one loud warning when they fail.

``wrap_openai``/``wrap_anthropic`` swap the client's class for a subclass whose ``request(cast_to,
options, ...)`` opens the record, and hook the SDK's httpx client (``client._client.event_hooks``).
Those are internals: an SDK release may change them. When it does, capture must not silently record
nothing: ``cannot_hook`` says so once per provider and reason, on stderr and as an error step in the
trace (``kind=custom``, error type ``CaptureNotHooked``), and the program's calls go on unrecorded.
Tested SDK ranges are pinned in ``pyproject.toml``; CI runs the capture suite at both ends.
"""

from __future__ import annotations

import inspect
import sys
import threading
from typing import Any

NOT_HOOKED = "CaptureNotHooked"  # the error type of the step that records the warning
_PENDING: list[dict[str, Any]] = []  # warnings given before any trace was open: written to the next one
_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def unhookable_reason(client: Any) -> str | None:
    """Why capture cannot hook ``client`` (an SDK internal it relies on is missing), or ``None``."""
    request = getattr(type(client), "request", None)
    if not callable(request):
        return "the client has no request() method"
    try:
        names = [p.name for p in inspect.signature(request).parameters.values()][1:3]
    except (TypeError, ValueError):
        names = []
    if names != ["cast_to", "options"]:
        return f"request() takes ({', '.join(names) or '?'}, ...) where capture expects (cast_to, options, ...)"
    http_client = getattr(client, "_client", None)
    if http_client is None or not isinstance(getattr(http_client, "event_hooks", None), dict):
        return "client._client has no httpx event_hooks"
    return None


def _sdk_version(provider: str) -> str:
    module = sys.modules.get(provider)
    return str(getattr(module, "__version__", "unknown version"))


def cannot_hook(provider: str, reason: str, *, session: Any = None) -> None:
    """Warn once that ``provider`` calls are not being recorded (stderr now; an error step in the trace).

    ``session`` is the trace being recorded, when there is one (else the next trace opened by a call
    gets the step).
    """
    with _lock:
        if (provider, reason) in _warned:
            return
        _warned.add((provider, reason))
    message = (
        f"cannot record {provider} calls with {provider} {_sdk_version(provider)}: {reason}. "
        f"The SDK's internals changed; calls still run but are NOT recorded. "
        f"Install a tested version (see agentdbg's pyproject.toml) or report it."
    )
    try:
        sys.stderr.write(f"agentdbg: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: the trace step still says it
    warning = {"provider": provider, "message": message}
    if session is None:
        with _lock:
            _PENDING.append(warning)
        return
    _write_step(session, warning)


def flush_pending(session: Any) -> None:
    """Write the warnings given before ``session`` existed into it (called when a call is recorded)."""
    if not _PENDING:
        return
    with _lock:
        pending = list(_PENDING)
        _PENDING.clear()
    for warning in pending:
        _write_step(session, warning)


def _write_step(session: Any, warning: dict[str, Any]) -> None:
    from agentdbg.capture.spans import SpanHandle

    try:
        handle = SpanHandle(session, f"agentdbg: {warning['provider']} calls not recorded", "custom", input=warning)
        handle.end(error={"type": NOT_HOOKED, "message": warning["message"]})
    except Exception:  # noqa: BLE001 - the stderr warning was given; the trace may be unwritable
        return
