"""Masking of secrets in recorded content: key-shaped strings by default, plus the user's own rule.

Headers are never recorded at all; this module guards the *content* (prompts,
tool arguments and results, errors) against keys that leak into it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from agentdbg.secrets import MASK, has_secret_bytes, mask_secrets

Redactor = Callable[[str], str]
__all__ = ["MASK", "Redactor", "clean_and_encode", "clean_record", "map_strings", "mask_secrets"]



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


def clean_and_encode(
    record: dict[str, Any], user_redact: Redactor | None
) -> tuple[dict[str, Any], bytes | None]:
    """``clean_record``, plus the cleaned record's JSON encoding when it is the one made to decide.

    The common case (no user rule, no key in the line) costs one encode and one scan for
    key hints, and the writer writes that encoding as it is (``clean=True``: no second scan).
    """
    if user_redact is not None:
        record = _apply(record, user_redact)
    line = orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)  # unmasked, to decide
    if has_secret_bytes(line):
        return _apply(record, mask_secrets), None
    return record, line


def clean_record(record: dict[str, Any], user_redact: Redactor | None) -> dict[str, Any]:
    """The record's content fields with the user's rule applied, then default key masking."""
    return clean_and_encode(record, user_redact)[0]
