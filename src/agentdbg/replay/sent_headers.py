"""What a replay sends besides the request body: only the headers and query parameters the user asked for.

A trace is untrusted input, and replay sends it with the user's own key. A recorded request may
carry ``extra_headers`` / ``extra_query`` (SDK keyword arguments that become HTTP headers and URL
parameters: a ``host`` header, an ``x-forwarded-for``, a query that reroutes the call). They are
dropped, and a note says which were, unless the user passes ``--keep-recorded-headers``; the note
names them either way.
"""

from __future__ import annotations

from typing import Any

RECORDED_SEND_KEYS = ("extra_headers", "extra_query")


def _names(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(sorted(str(name) for name in value)) or "(none)"
    return f"a {type(value).__name__}"


def sendable(request: dict[str, Any], keep: bool) -> tuple[dict[str, Any], str | None]:
    """``request`` without recorded headers and query parameters (unless ``keep``), and a note naming them."""
    found = {key: request[key] for key in RECORDED_SEND_KEYS if request.get(key)}
    if not found:
        return request, None
    listed = "; ".join(f"{key}: {_names(value)}" for key, value in found.items())
    if keep:
        return request, f"sending the recorded {listed} (--keep-recorded-headers)"
    kept = {key: value for key, value in request.items() if key not in RECORDED_SEND_KEYS}
    return kept, f"dropped the recorded {listed}: replay sends only what you ask for (--keep-recorded-headers sends them)"


def limit_sent_headers(plan: Any, keep: bool) -> None:
    """Apply ``sendable`` to a replay plan's first request (or the request its tool fork continues)."""
    if plan.request is not None:
        plan.request, note = sendable(plan.request, keep)
        if note:
            plan.notes.append(note)
    if plan.resume is not None:
        plan.resume.request, note = sendable(plan.resume.request, keep)
        if note:
            plan.notes.append(note)
