"""What a replay sends besides the request body: only the headers and query parameters the user asked for.

A trace is untrusted input, and replay sends it with the user's own key. A recorded request may
carry ``extra_headers`` / ``extra_query`` (SDK keyword arguments that become HTTP headers and URL
parameters: a ``host`` header, an ``x-forwarded-for``, a query that reroutes the call). Those that
came from the trace are dropped, and a note names them, unless the user passes
``--keep-recorded-headers``; the ones the user's own patch sets (``/params/extra_headers``) are sent.
"""

from __future__ import annotations

from typing import Any

RECORDED_SEND_KEYS = ("extra_headers", "extra_query")


def _params(document: Any) -> dict[str, Any]:
    params = document.get("params") if isinstance(document, dict) else None
    return params if isinstance(params, dict) else {}


def _asked(plan: Any, key: str) -> dict[str, Any]:
    """The entries of ``key`` the user's patch set or changed (not in the recorded document as they are)."""
    given = _params(plan.patched_document).get(key)
    recorded = _params(plan.document).get(key)
    if not isinstance(given, dict):
        return {}
    recorded = recorded if isinstance(recorded, dict) else {}
    return {name: value for name, value in given.items() if name not in recorded or recorded[name] != value}


def sendable(
    request: dict[str, Any], keep: bool, asked: dict[str, dict[str, Any]] | None = None
) -> tuple[dict[str, Any], str | None]:
    """``request`` with only the asked-for headers and query parameters (all of them if ``keep``), and a note."""
    asked = asked or {}
    dropped: dict[str, list[str]] = {}
    sent = dict(request)
    for key in RECORDED_SEND_KEYS:
        value = request.get(key)
        if not value:
            continue
        if not isinstance(value, dict):
            dropped[key] = [f"a {type(value).__name__}"]
            if not keep:
                sent.pop(key)
            continue
        recorded = sorted(str(name) for name in value if name not in asked.get(key, {}))
        if recorded:
            dropped[key] = recorded
        if not keep:
            kept = {name: item for name, item in value.items() if name in asked.get(key, {})}
            if kept:
                sent[key] = kept
            else:
                sent.pop(key)
    if not dropped:
        return request, None
    listed = "; ".join(f"{key}: {', '.join(names)}" for key, names in dropped.items())
    if keep:
        return request, f"sending the recorded {listed} (--keep-recorded-headers)"
    return sent, f"dropped the recorded {listed}: replay sends only what you ask for (--keep-recorded-headers sends them)"


def limit_sent_headers(plan: Any, keep: bool) -> None:
    """Apply ``sendable`` to a replay plan's first request (or the request its tool fork continues)."""
    asked = {key: _asked(plan, key) for key in RECORDED_SEND_KEYS}
    if plan.request is not None:
        plan.request, note = sendable(plan.request, keep, asked)
        if note:
            plan.notes.append(note)
    if plan.resume is not None:
        plan.resume.request, note = sendable(plan.resume.request, keep)
        if note:
            plan.notes.append(note)
