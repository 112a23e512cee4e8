"""Key-shaped strings: one pattern for every place that must never show or store a secret.

Capture masks recorded content with it, the trace writer masks every line it writes
(imports, forks), exports mask their output, and ``textsafe`` masks what reaches a
terminal. Headers are never recorded at all; this guards content that quotes a key.
"""

from __future__ import annotations

import re

# OpenAI (sk-, sk-proj-, sk-svcacct-, sk-admin-), Anthropic (sk-ant-api03-), AWS access key ids, bearer tokens.
KEY_PATTERN = re.compile(
    r"(?P<key>\b(?P<kprefix>sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-|admin-)?)[A-Za-z0-9_\-]{12,})"
    r"|(?P<aws>\b(?P<aprefix>(?:AKIA|ASIA))[0-9A-Z]{16}\b)"
    r"|(?P<bearer>\b(?P<bprefix>[Bb]earer\s+)[A-Za-z0-9._~+/=\-]{8,})"
)
KEY_BYTES = re.compile(KEY_PATTERN.pattern.encode())
KEY_HINTS = ("sk-", "AKIA", "ASIA", "earer")  # cheap substring tests before the regex
KEY_HINT_BYTES = tuple(hint.encode() for hint in KEY_HINTS)
MASK = "[REDACTED]"


def _mask_match(match: re.Match[str]) -> str:
    prefix = match.group("kprefix") or match.group("aprefix") or match.group("bprefix") or ""
    return prefix + MASK


def _mask_match_bytes(match: re.Match[bytes]) -> bytes:
    prefix = match.group("kprefix") or match.group("aprefix") or match.group("bprefix") or b""
    return prefix + MASK.encode()


def mask_secrets(text: str) -> str:
    """Replace key-shaped substrings (``sk-…``, ``sk-ant-…``, ``AKIA…``, ``Bearer …``) with a mask."""
    if not any(hint in text for hint in KEY_HINTS):
        return text
    return KEY_PATTERN.sub(_mask_match, text)


def mask_secret_bytes(data: bytes) -> bytes:
    """``mask_secrets`` on encoded JSON or text (key characters never include quotes or backslashes)."""
    if not any(hint in data for hint in KEY_HINT_BYTES):
        return data
    return KEY_BYTES.sub(_mask_match_bytes, data)
