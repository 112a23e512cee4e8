"""Constant-cost compaction at capture: a request that extends one already written is found by its bytes.

An agent re-sends its whole history with every call; reading that history item by item at each
step (parse, mask, encode, compare) makes recording step N cost N. Instead the writer keeps, per
conversation, what the last request body was up to the offset where its history list's last item
ends, that offset, and the bytes after it. A new body that starts with those same bytes and ends
with the same bytes after the list is that request with items appended: only the bytes in between
are parsed, cleaned and written, with a ``request_ref`` naming the earlier step (the schema-2 form
described in ``store/compact.py``, so readers rebuild it as before). Nothing is done per history item.

What is kept of the prefix is its 128-bit XXH3 digest (seeded per process), not the body: the new
body's same span is hashed in C, one read of it, and the hash state runs on over the appended bytes
to give the next body its digest to match. A body that differs anywhere in the prefix passes only
if the digests collide (2**-128). Comparing the two bodies instead (one ``memcmp``) reads twice the
memory, the older body with cold caches: at step 10,000 (2.4 MB) ~210 instead of ~340 us, and a
2.4 MB body held per conversation. Without the ``xxhash`` package the body is kept and compared.

The offset is learned once per conversation from a body parsed whole, and only when that body is
exactly the canonical encoding of what it parses to (orjson's, or the standard library's compact
or default form), so that the bytes after the list are known to be the encoding of the keys after
it. Each body found to extend an earlier one hands the same offsets on.
"""

from __future__ import annotations

import json
import operator
import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

try:
    import xxhash
except ImportError:  # pragma: no cover - tests hide it: the kept body is then compared byte for byte
    xxhash = None  # type: ignore[assignment]

from agentdbg.store.compact import (
    COMPACT_KEY,
    MIN_SAVING,
    MIN_VALUE,
    SAME,
    EncodingMemo,
    Parts,
    _encode,
    _encode_items,
    _held,
    llm_request,
)

LIST_KEYS = ("messages", "input")  # the history list of chat.completions / messages, and of responses
_SEED = int.from_bytes(os.urandom(8), "little")  # per process: no body is made to collide on purpose


def _prefix_hash(data: memoryview) -> Any:
    """A running XXH3-128 of ``data`` (``None`` without xxhash: the body is kept and compared instead)."""
    return xxhash.xxh3_128(data, seed=_SEED) if xxhash is not None else None


def _stdlib_compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _stdlib_default(value: Any) -> bytes:
    return json.dumps(value).encode()


# (encode a value, what separates an object's items, what separates a key from its value)
_ENCODINGS: tuple[tuple[Callable[[Any], bytes], bytes, bytes], ...] = (
    (orjson.dumps, b",", b":"),  # what httpx >= 0.28 sends for ``json=`` is byte-equal to this
    (_stdlib_compact, b",", b":"),
    (_stdlib_default, b", ", b": "),  # older httpx
)


class BodyEntry:
    """A written request, as bytes: where its list's items end, and how a request extending it is written."""

    __slots__ = (
        "_parts",
        "body",
        "boundary",
        "count",
        "digest",
        "items",
        "key",
        "other",
        "same",
        "span_id",
        "suffix",
        "template",
    )

    def __init__(
        self,
        span_id: str,
        body: bytes,
        suffix: bytes,
        key: str,
        count: int,
        template: dict[str, Any],
        same: dict[str, int],
        items: list[bytes],
        other: Parts,
        prefix: Any = None,
    ) -> None:
        """``prefix``: the hash state of ``body[:boundary]`` when the caller has it (else hashed here)."""
        self.span_id, self.suffix, self.key, self.count = span_id, suffix, key, count
        self.boundary = len(body) - len(suffix)  # body[:boundary] ends right after the list's last item
        if prefix is None:
            prefix = _prefix_hash(memoryview(body)[: self.boundary])
        self.digest: bytes | None = prefix.digest() if prefix is not None else None
        self.body: bytes | None = body if prefix is None else None  # kept only to compare against
        self.template = template  # the request's other keys: raw small values, None where ``same``
        self.same = same  # the other keys a request extending this one refers to (``SAME``)
        self.items = items  # encoded list items (cleaned, as written); may run past ``count``: see ``extend``
        self.other = other  # the parts of the other keys
        self._parts: Parts | None = None

    def parts(self) -> Parts:
        """This request's parts for ``RequestCompactor`` (made when first asked for: the slow path only)."""
        if self._parts is None:
            parts = dict(self.other)
            parts[self.key] = self.items[: self.count]
            self._parts = parts
        return self._parts

    def extended_by(self, body: bytes) -> Extension | None:
        """``body`` as this request plus appended items, or ``None`` when it is not that."""
        boundary, suffix = self.boundary, self.suffix
        end = len(body) - len(suffix)
        if end < boundary or not body.endswith(suffix):
            return None
        prefix = None
        if self.body is not None:  # no xxhash: one memcmp, no copy
            if not body.startswith(memoryview(self.body)[:boundary]):
                return None
        else:
            prefix = _prefix_hash(memoryview(body)[:boundary])
            if prefix is None or prefix.digest() != self.digest:
                return None
        between = body[boundary:end]
        if not between:
            return Extension(self, body, [], prefix)
        if between[:1] != b",":
            return None
        try:  # the bytes between are whole values: everything before and after them is unchanged
            items = orjson.loads(b"[" + between[1:] + b"]")
        except orjson.JSONDecodeError:
            return None
        if not items:
            return None
        if prefix is not None:
            prefix.update(between)  # now over body[:end]: the prefix of the entry this body becomes
        return Extension(self, body, items, prefix)


@dataclass(slots=True)
class Extension:
    """A request body found to be an earlier written request with ``items`` appended to its list."""

    base: BodyEntry
    body: bytes
    items: list[Any]  # the appended items, parsed from the body (not yet cleaned)
    prefix: Any = None  # the hash state over the body up to the end of its items (``BodyEntry``)

    @property
    def key(self) -> str:
        return self.base.key

    def request(self) -> dict[str, Any]:
        """The request as written: the new items only, ``None`` where the base's value is meant."""
        written = dict(self.base.template)
        written[self.base.key] = self.items if self.items else None
        return written

    def ref(self) -> dict[str, Any]:
        """The ``request_ref`` of the written request."""
        keys = {key: SAME for key in self.base.template if key in self.base.same}
        keys[self.base.key] = self.base.count if self.items else SAME
        return {"base": self.base.span_id, "keys": keys}


@dataclass(slots=True)
class SentBody:
    """An llm request as the SDK sent it, and what capture learned of it before writing."""

    data: bytes
    request: dict[str, Any] | None = None  # parsed whole (nothing earlier fitted)
    extension: Extension | None = None  # or: an earlier written request plus appended items


def _suffix(body: bytes, request: dict[str, Any], key: str) -> bytes | None:
    """The bytes of ``body`` from the list's closing ``]`` on, if ``body`` is a canonical encoding of ``request``."""
    later = list(request)
    later = later[later.index(key) + 1 :]
    for encode, between_items, between_key_value in _ENCODINGS:
        try:
            if encode(request) != body:
                continue
            suffix = (
                b"]"
                + b"".join(
                    between_items + encode(name) + between_key_value + encode(request[name]) for name in later
                )
                + b"}"
            )
        except (TypeError, ValueError):
            continue
        return suffix if body.endswith(suffix) else None
    return None


class BodyPrefixes:
    """Writer side: the last request body of each recent conversation, to find what a new body extends."""

    def __init__(self, window: int = 8) -> None:
        self._entries: deque[BodyEntry] = deque(maxlen=window)

    def find(self, body: bytes) -> Extension | None:
        """The most recent written request ``body`` extends (the caller holds the writer's lock)."""
        for entry in self._entries:
            extension = entry.extended_by(body)
            if extension is not None:
                return extension
        return None

    def learn(self, span_id: str, body: bytes, request: dict[str, Any], parts: Parts) -> None:
        """Remember a request written the slow way (``parts``: as ``request_parts`` of what was written)."""
        key = next((k for k in LIST_KEYS if type(request.get(k)) is list and request[k]), None)
        items = parts.get(key) if key is not None else None
        if key is None or not isinstance(items, list) or len(items) != len(request[key]):
            return
        suffix = _suffix(body, request, key)
        if suffix is None:
            return
        # the keys ``RequestCompactor._fit`` would call unchanged: large values and non-empty lists
        same = {k: SAME for k, p in parts.items() if k != key and (isinstance(p, bytes) or p)}
        template = {k: (None if k in same or k == key else v) for k, v in request.items()}
        other = {k: p for k, p in parts.items() if k != key}
        entry = BodyEntry(span_id, body, suffix, key, len(items), template, same, list(items), other)
        self._entries.appendleft(entry)

    def extend(self, span_id: str, extension: Extension, written: list[Any] | None) -> BodyEntry:
        """Remember a request written as ``extension`` (``written``: its new items as written, cleaned)."""
        base = extension.base
        new_parts = [_held(item) for item in written or ()]
        items = base.items
        if new_parts:
            if len(items) == base.count:  # usually: the list grows in place, earlier entries keep their count
                items.extend(new_parts)
            else:  # another request extended the base already (a branch): copy the shared part
                items = items[: base.count] + new_parts
        entry = BodyEntry(
            span_id,
            extension.body,
            base.suffix,
            base.key,
            base.count + len(new_parts),
            base.template,
            base.same,
            items,
            base.other,
            extension.prefix,
        )
        if base in self._entries:  # the new body supersedes its base (a branch from the base parses whole)
            self._entries.remove(base)
        self._entries.appendleft(entry)
        return entry


def written_items(record: dict[str, Any], extension: Extension) -> list[Any] | None:
    """The new items of a written ``extension`` record (as cleaned), or ``None`` if the record is not one."""
    if COMPACT_KEY not in record:
        return None
    given = record.get("input")
    request = given.get("request") if isinstance(given, dict) else None
    items = request.get(extension.key) if isinstance(request, dict) else None
    return items if type(items) is list else []


class SharedHistory:
    """``write_trace``'s counterpart of ``BodyPrefixes``: requests whose lists extend the previous one's.

    An imported run's requests share their history's item objects, and none is changed while the
    trace is written; a request whose every list starts with the previous request's items (the same
    objects, checked in C) is written relative to it after encoding only its new items, so writing
    back an N-step run is linear instead of looking up every history item of every request.
    """

    def __init__(self, memo: EncodingMemo) -> None:
        self._memo = memo
        # the last request written: span id, its lists, its parts, the encoded size of each list
        self._last: tuple[str, dict[str, list[Any]], Parts, dict[str, int]] | None = None
        self._pending: tuple[dict[str, list[Any]], dict[str, int]] | None = None

    def compact(self, record: dict[str, Any]) -> tuple[dict[str, Any], Parts] | None:
        """``record`` written relative to the previous request, and its parts; ``None``: compact it as usual."""
        self._pending = None
        request = llm_request(record)
        last = self._last
        if request is None or last is None:
            return None
        base_id, base_lists, base_parts, base_sizes = last
        parts: Parts = {}
        keys: dict[str, int] = {}
        lists: dict[str, list[Any]] = {}
        sizes: dict[str, int] = {}
        written = dict(request)
        saving = 0
        for key, value in request.items():
            base = base_parts.get(key)
            if type(value) is list:
                old = base_lists.get(key)
                if old is None or not isinstance(base, list) or len(value) < len(old):
                    return None
                if not all(map(operator.is_, value, old)):  # stops at the end of the shorter
                    return None
                fresh = _encode_items(value[len(old) :], self._memo)
                parts[key] = base + fresh if fresh else base
                lists[key], sizes[key] = value, base_sizes[key] + sum(map(len, fresh))
                if old:
                    keys[key] = len(old) if fresh else SAME
                    written[key] = value[len(old) :] if fresh else None
                    saving += base_sizes[key]
                continue
            encoded = _encode(value)
            if len(encoded) >= MIN_VALUE:
                parts[key] = bytes(memoryview(encoded))
                if base == parts[key]:
                    keys[key], written[key] = SAME, None
                    saving += len(encoded)
        if saving <= MIN_SAVING:
            return None
        self._pending = (lists, sizes)
        out = dict(record)
        out["input"] = {**record["input"], "request": written}
        out[COMPACT_KEY] = {"base": base_id, "keys": keys}
        return out, parts

    def remember(self, span_id: str, record: dict[str, Any], parts: Parts) -> None:
        """The request just written (``record`` as given to ``compact``) is the base of the next one."""
        pending, self._pending = self._pending, None
        if pending is None:
            request = llm_request(record) or {}
            lists = {k: v for k, v in request.items() if type(v) is list}
            encoded = {k: parts.get(k) for k in lists}
            if any(not isinstance(items, list) for items in encoded.values()):
                self._last = None
                return
            pending = (
                lists,
                {k: sum(map(len, items)) for k, items in encoded.items() if isinstance(items, list)},
            )
        self._last = (span_id, pending[0], parts, pending[1])
