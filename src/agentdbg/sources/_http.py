"""JSON over HTTP for the backend pulls (stdlib only), every failure one clear ``SourceError``."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from agentdbg.errors import SourceError

TIMEOUT = 30.0


def request_json(
    url: str, *, what: str, body: Any = None, headers: dict[str, str] | None = None, method: str | None = None
) -> Any:
    """The decoded JSON answer of ``url`` (POST when ``body`` is given).

    Raises:
        SourceError: the backend is unreachable, refused the key (401/403), does not know ``what``
            (404), or answered with something that is not JSON.
    """
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    host = urllib.parse.urlsplit(url).netloc
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = _detail(exc)
        if exc.code in (401, 403):
            raise SourceError(f"{host} refused the credentials (HTTP {exc.code}){detail}") from None
        if exc.code == 404:
            raise SourceError(f"{host} has no {what} (HTTP 404){detail}") from None
        raise SourceError(f"{host} answered HTTP {exc.code} for {what}{detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"cannot reach {host}: {reason} (is the backend running there?)") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise SourceError(f"{host} did not answer JSON for {what}") from None


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(300).decode("utf-8", "replace")
    except OSError:
        return ""
    try:
        parsed = json.loads(text)
    except ValueError:
        return f": {text.strip()[:200]}" if text.strip() else ""
    message = (
        parsed.get("message") or parsed.get("detail") or parsed.get("error")
        if isinstance(parsed, dict)
        else None
    )
    return f": {str(message)[:200]}" if message else ""
