"""Schema-2 compact requests: what an agent re-sends every step is written once.

An agent sends its whole history at every step, so a plain trace grows with the
square of the run. The writer stores an ``llm`` span's request relative to an
earlier request (of a span already written by the same writer, so on an earlier
line) and readers rebuild the exact request before anyone sees it::

    {"type": "span_start", "kind": "llm", "id": "s9",
     "input": {"provider": "openai", "api": "chat.completions",
               "request": {"model": "m", "messages": [<new messages only>], "tools": null}},
     "request_ref": {"base": "s7", "keys": {"messages": 14, "tools": -1}}}

``keys`` maps a top-level request key to how its value is rebuilt: ``N >= 0``
means "the first N items of the base's list, then the list written here";
``-1`` means "the base's value, unchanged" (the ``null`` here only keeps the key's
place, so key order, and hence the bytes, survive). Any key not listed is whole.

"Parts" are a request's reusable values as immutable bytes (one ``bytes`` per
list item, or one for a whole large value): rebuilt lists are parsed afresh from
them, so spans never share mutable objects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import orjson

from agentdbg.errors import TraceReadError

COMPACT_KEY = "request_ref"
SAME = -1
MIN_SAVING = 128  # bytes; below this a reference is not worth a lookup
MIN_VALUE = 256  # non-list values shorter than this are always written whole

Parts = dict[str, "list[bytes] | bytes"]
Lookup = Callable[[str], "Parts | None"]

BROKEN: Parts = {}  # the parts of a request that could not be rebuilt (compared by identity)


class LazyParts(Protocol):
    """Parts made only when a compaction asks for them (``store/body_prefix.BodyEntry``)."""

    def parts(self) -> Parts: ...


def ref_shape_problem(ref: Any, request: dict[str, Any] | None) -> str | None:
    """What is wrong with a ``request_ref`` before its base is looked up (``None``: nothing)."""
    if not isinstance(ref, dict) or request is None:
        return (
            f"{COMPACT_KEY} is not an object on an llm span with a request; the request is shown as written"
        )
    if not isinstance(ref.get("base"), str) or not isinstance(ref.get("keys"), dict):
        return f"{COMPACT_KEY} needs a 'base' span id and a 'keys' object; the request is shown as written"
    return None


def missing_base_message(base_id: object, broken: bool) -> str:
    """The problem of a reference whose base is not there (or could not be rebuilt itself)."""
    if broken:
        return f"{COMPACT_KEY} refers to span {base_id!r}, whose request could not be rebuilt; the request is incomplete"
    return f"{COMPACT_KEY} refers to span {base_id!r}, which is not an earlier llm request in this file; the request is incomplete"


_dumps = orjson.dumps
_loads = orjson.loads


def _encode(value: Any) -> bytes:
    return _dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def referable(value: Any) -> bool:
    """Whether ``request_parts`` keeps a part of ``value`` that a later request may refer to: a list, or a value
    whose JSON is ``MIN_VALUE`` bytes or more (the one rule for the passes that carry requests along chains)."""
    if type(value) is list:
        return True
    try:
        return len(_encode(value)) >= MIN_VALUE
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return False


def _held(value: Any) -> bytes:
    """``_encode`` for an encoding that is kept (parts): copied to an exact-size ``bytes``.

    ``orjson.dumps`` results keep their over-allocated buffer (4 KB or more each here); parts are
    held by the thousand, so the copy cuts the reader's and writer's memory several-fold.
    """
    return bytes(memoryview(_dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)))


def llm_request(record: dict[str, Any]) -> dict[str, Any] | None:
    """The request dict of an ``llm`` start record, if it has one."""
    if record.get("kind") != "llm":
        return None
    given = record.get("input")
    request = given.get("request") if isinstance(given, dict) else None
    return request if isinstance(request, dict) else None


EncodingMemo = dict[int, tuple[Any, bytes]]


def _encode_items(items: list[Any], memo: EncodingMemo | None) -> list[bytes]:
    """Each item's encoding; with a memo, an item object seen before is not encoded again.

    The memo keeps each item alive beside its encoding, so an id is never reused while it is held.
    """
    if memo is None:
        return [_held(item) for item in items]
    encoded: list[bytes] = []
    for item in items:
        hit = memo.get(id(item))
        if hit is None or hit[0] is not item:
            hit = memo[id(item)] = (item, _held(item))
        encoded.append(hit[1])
    return encoded


def request_parts(request: dict[str, Any], memo: EncodingMemo | None = None) -> Parts:
    """The reusable parts of a whole request: lists item by item, large values whole."""
    parts: Parts = {}
    for key, value in request.items():
        if type(value) is list:
            parts[key] = _encode_items(value, memo)
        else:
            encoded = _encode(value)
            if len(encoded) >= MIN_VALUE:
                parts[key] = bytes(memoryview(encoded))
    return parts


def _join(items: list[bytes]) -> Any:
    return _loads(b"[" + b",".join(items) + b"]")


def expand_record(
    record: dict[str, Any],
    lookup: Lookup,
    parsed_lookup: Callable[[str], dict[str, Any] | None] | None = None,
) -> tuple[Parts | None, str | None]:
    """Rebuild the whole request of a compact record in place and drop its ``request_ref``.

    ``parsed_lookup`` (optional) gives the base's already-rebuilt request: its items are then
    shared instead of parsed again, so a long run's history is held once in memory, not per step.
    Returns the rebuilt request's parts and ``None``, or whatever could be rebuilt
    and a problem message (the base is missing or does not fit).
    """
    ref = record.pop(COMPACT_KEY, None)
    request = llm_request(record)
    message = ref_shape_problem(ref, request)
    if message is not None or request is None:
        return None, message
    base_id, keys = ref["base"], ref["keys"]
    base = lookup(base_id)
    if base is BROKEN or base is None:
        return None, missing_base_message(base_id, base is BROKEN)
    base_request = parsed_lookup(base_id) if parsed_lookup is not None else None
    parts: Parts = {}
    for key, value in request.items():
        how = keys.get(key)
        known = base.get(key)
        shared = base_request.get(key) if base_request is not None else None
        if how == SAME and known is not None:
            if shared is not None:
                request[key] = list(shared) if type(shared) is list else shared
            else:
                request[key] = _loads(known) if isinstance(known, bytes) else _join(known)
            parts[key] = known
        elif (
            isinstance(how, int)
            and how >= 0
            and isinstance(known, list)
            and len(known) >= how
            and type(value) is list
        ):
            items = known[:how] + [_held(item) for item in value]
            if type(shared) is list and len(shared) >= how:
                request[key] = shared[:how] + value
            else:
                request[key] = _join(items)
            parts[key] = items
        elif how is not None:
            return (
                None,
                f"{COMPACT_KEY} key {key!r} does not fit base span {base_id!r}; the request is incomplete",
            )
        elif type(value) is list:
            parts[key] = [_held(item) for item in value]
        else:
            encoded = _encode(value)
            if len(encoded) >= MIN_VALUE:
                parts[key] = bytes(memoryview(encoded))
    return parts, None


def record_parts(record: dict[str, Any], base: Parts | None) -> Parts | None:
    """The parts of a start record's request, given the parts of its base (if compact)."""
    if COMPACT_KEY in record:
        parts, _problem = expand_record(record, lambda _id: base)
        return parts
    request = llm_request(record)
    return request_parts(request) if request is not None else None


def _common_prefix(mine: list[bytes], theirs: list[bytes]) -> int:
    """How many leading items two lists share (list slices compare in C; binary search otherwise)."""
    limit = min(len(mine), len(theirs))
    if not limit or mine[0] != theirs[0]:
        return 0
    if mine[:limit] == theirs[:limit]:  # the usual case: one extends the other
        return limit
    low, high = 1, limit - 1  # mine[:low] matches, mine[:high + 1] does not
    while low < high:
        middle = (low + high + 1) // 2
        if mine[:middle] == theirs[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class RequestCompactor:
    """Writer side: picks the recent request each new one extends most, and encodes the difference."""

    def __init__(self, window: int = 8, *, reuse_encodings: bool = False) -> None:
        self._recent: deque[tuple[str, Parts | LazyParts]] = deque(maxlen=window)
        # Only for callers whose request objects do not change while they write (``write_trace``):
        # histories shared between requests are then encoded once instead of once per request.
        self._memo: EncodingMemo | None = {} if reuse_encodings else None

    @property
    def memo(self) -> EncodingMemo | None:
        """The encodings kept by item object (``reuse_encodings=True``), else ``None``."""
        return self._memo

    def snapshot(self) -> list[tuple[str, Parts]]:
        return [(span_id, p if isinstance(p, dict) else p.parts()) for span_id, p in self._recent]

    def remember(self, span_id: str, parts: Parts | LazyParts) -> None:
        """Make a written request available as a base for later ones."""
        self._recent.appendleft((span_id, parts))

    @staticmethod
    def _fit(parts: Parts, base: Parts) -> tuple[int, dict[str, int]]:
        saving = 0
        keys: dict[str, int] = {}
        for key, mine in parts.items():
            theirs = base.get(key)
            if theirs is None:
                continue
            if isinstance(mine, bytes):
                if mine == theirs:
                    keys[key] = SAME
                    saving += len(mine)
                continue
            if not isinstance(theirs, list) or not mine:
                continue
            if mine == theirs:
                keys[key] = SAME
                saving += sum(map(len, mine))
                continue
            count = _common_prefix(mine, theirs)
            if count:
                keys[key] = count
                saving += sum(map(len, mine[:count]))
        return saving, keys

    def compact(
        self, record: dict[str, Any], recent: Iterable[tuple[str, Parts]]
    ) -> tuple[dict[str, Any], Parts | None]:
        """``record`` with its request written relative to the best recent one, and its parts.

        The caller's record is never modified; a record that gains nothing is returned as is.
        """
        request = llm_request(record)
        if request is None or COMPACT_KEY in record:
            return record, None
        parts = request_parts(request, self._memo)
        best_saving, best_id, best_keys = MIN_SAVING, "", {}
        enough = 0.9 * sum(len(p) if isinstance(p, bytes) else sum(map(len, p)) for p in parts.values())
        for span_id, base in recent:
            saving, keys = self._fit(parts, base)
            if saving > best_saving:
                best_saving, best_id, best_keys = saving, span_id, keys
                if saving >= enough:  # nothing later can do much better
                    break
        if not best_keys:
            return record, parts
        written = dict(request)
        for key, how in best_keys.items():
            written[key] = None if how == SAME else request[key][how:]
        out = dict(record)
        out["input"] = {**record["input"], "request": written}
        out[COMPACT_KEY] = {"base": best_id, "keys": best_keys}
        return out, parts


class StreamExpander:
    """Rebuilds compact records while streaming a file (``cat --expand``), remembering only parts."""

    def __init__(self) -> None:
        self._parts: dict[str, Parts] = {}
        self._whole: dict[str, dict[str, Any]] = {}

    def lookup(self, span_id: str) -> Parts | None:
        parts = self._parts.get(span_id)
        if parts is None and span_id in self._whole:
            parts = request_parts(self._whole.pop(span_id))
            self._parts[span_id] = parts
        return parts

    def feed(self, record: dict[str, Any]) -> str | None:
        """Expand ``record`` in place if compact; returns a problem message or ``None``."""
        span_id = record.get("id")
        if record.get("type") not in ("span_start", "span") or not isinstance(span_id, str):
            return None
        if COMPACT_KEY in record:
            parts, problem = expand_record(record, self.lookup)
            if parts is not None:
                self._parts[span_id] = parts
            return problem
        request = llm_request(record)
        if request is not None:
            self._whole[span_id] = request  # parts made only if something refers to it
        return None


def expand_lines(
    lines: Iterable[bytes], on_problem: Callable[[int, str], None] | None = None
) -> Iterator[bytes]:
    """Each line of a trace with compact requests rebuilt (schema 1 header); other lines unchanged."""
    expander = StreamExpander()
    plain = False  # a schema-1 file has nothing to expand
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if (
            plain
            or not stripped
            or (b'"request_ref"' not in stripped and b'"llm"' not in stripped and b'"trace"' not in stripped)
        ):
            yield raw
            continue
        try:
            record = _loads(stripped)
        except orjson.JSONDecodeError:
            yield raw
            continue
        if not isinstance(record, dict):
            yield raw
            continue
        if record.get("type") == "trace":
            plain = plain or (isinstance(record.get("schema_version"), int) and record["schema_version"] < 2)
            record["schema_version"] = 1
            yield _encode(record) + b"\n"
            continue
        had_ref = COMPACT_KEY in record
        problem = expander.feed(record)
        if problem is not None and on_problem is not None:
            on_problem(number, problem)
        yield (_encode(record) + b"\n") if had_ref else raw


def expand_file(path: str | Path, out: BinaryIO, on_problem: Callable[[int, str], None] | None = None) -> int:
    """Write ``path`` to ``out`` with every compact request rebuilt whole; returns the lines written.

    Raises:
        TraceReadError: if ``path`` cannot be opened or is a directory.
    """
    source = Path(path)
    if source.is_dir():
        raise TraceReadError(f"{source} is a directory, not a trace file")
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise TraceReadError(f"cannot open {source}: {exc.strerror or exc}") from exc
    count = 0
    with handle:
        for line in expand_lines(handle, on_problem):
            out.write(line)
            count += 1
    return count


def plain_copy(path: str | Path, out: BinaryIO) -> None:
    """Copy a trace file to ``out`` unchanged (``cat`` without ``--expand``)."""
    source = Path(path)
    if source.is_dir():
        raise TraceReadError(f"{source} is a directory, not a trace file")
    try:
        handle = source.open("rb")
    except OSError as exc:
        raise TraceReadError(f"cannot open {source}: {exc.strerror or exc}") from exc
    with handle:
        while chunk := handle.read(1 << 20):
            out.write(chunk)
