"""Masking of secrets in recorded content: key-shaped strings by default, plus the user's own rule.

Headers are never recorded at all; this module guards the *content* (prompts,
tool arguments and results, errors) against keys that leak into it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agentdbg.store import encode_record

Redactor = Callable[[str], str]

# OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), AWS access key ids, bearer tokens.
_KEY_PATTERN = re.compile(
    r"(?P<key>\b(?P<kprefix>sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-|admin-)?)[A-Za-z0-9_\-]{12,})"
    r"|(?P<aws>\b(?P<aprefix>(?:AKIA|ASIA))[0-9A-Z]{16}\b)"
    r"|(?P<bearer>\b(?P<bprefix>[Bb]earer\s+)[A-Za-z0-9._~+/=\-]{8,})"
)
_KEY_BYTES = re.compile(_KEY_PATTERN.pattern.encode())
_KEY_HINTS = (b"sk-", b"AKIA", b"ASIA", b"earer")  # cheap substring tests before the regex
MASK = "[REDACTED]"


def _mask_match(match: re.Match[str]) -> str:
    prefix = match.group("kprefix") or match.group("aprefix") or match.group("bprefix") or ""
    return prefix + MASK


def mask_secrets(text: str) -> str:
    """Replace key-shaped substrings (``sk-…``, ``sk-ant-…``, ``AKIA…``, ``Bearer …``) with a mask."""
    return _KEY_PATTERN.sub(_mask_match, text)


def map_strings(value: Any, fn: Redactor) -> Any:
    """Apply ``fn`` to every string (values and keys) inside nested dicts/lists."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {(fn(k) if isinstance(k, str) else k): map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [map_strings(v, fn) for v in value]
    return value


CONTENT_FIELDS = ("input", "output", "error", "attributes", "metadata", "name")


def _apply(record: dict[str, Any], fn: Redactor) -> dict[str, Any]:
    return {k: (map_strings(v, fn) if k in CONTENT_FIELDS else v) for k, v in record.items()}


def clean_record(record: dict[str, Any], user_redact: Redactor | None) -> dict[str, Any]:
    """The record's content fields with the user's rule applied, then default key masking.

    The common case (no user rule, no key in the line) costs one encode and four substring scans.
    """
    if user_redact is not None:
        record = _apply(record, user_redact)
    line = encode_record(record)
    if any(hint in line for hint in _KEY_HINTS) and _KEY_BYTES.search(line):
        record = _apply(record, mask_secrets)
    return record
