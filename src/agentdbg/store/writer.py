"""Append-only, crash-safe trace writing: one ``write()`` per line, flushed at once.

The file is opened with ``O_APPEND`` and each record is encoded to one bytes
object and handed to a single ``os.write`` under a lock, so concurrent writers
never interleave within a line and a kill loses at most the line in flight.

A failed write (disk full) may leave part of a line behind: the next line then starts
on a fresh line, so the torn bytes stand alone as one named bad line. A ``span_start``
that could not be written is kept, and its ``span_end`` is written as one whole ``span``
line instead, so a step's end is never lost because its start was. The file is locked
(``flock``) while open: a second process recording to the same path gets
``TraceFileBusyError`` instead of replacing or merging into the first run.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import orjson

from agentdbg.errors import TraceFileBusyError
from agentdbg.model.records import SCHEMA_VERSION, TraceHeader
from agentdbg.secrets import mask_secret_bytes
from agentdbg.store.body_prefix import BodyPrefixes, Extension, SentBody, SharedHistory, written_items
from agentdbg.store.compact import COMPACT_KEY, RequestCompactor


def encode_record(record: dict[str, Any]) -> bytes:
    """One JSONL line for ``record`` (non-JSON values become strings; key-shaped strings masked)."""
    return mask_secret_bytes(orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS)) + b"\n"


class TraceWriter:
    """Appends records to a trace file. Thread-safe. Raises ``OSError`` on write failure.

    With ``compact=True`` (the default, schema 2) an ``llm`` request that extends
    one this writer already wrote is stored as a reference plus what is new
    (see ``store/compact.py``); readers rebuild it exactly. ``compact=False``
    writes every request whole (schema 1). ``reuse_encodings=True`` is for callers
    that never change a request object after writing it (``write_trace``). Capture
    also hands over each request's body as sent (``SentBody``): a body that extends
    one already written is then found by its bytes (``find_extension``, see
    ``store/body_prefix.py``), so recording step N of a conversation costs what step 10 does.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        compact: bool = True,
        reuse_encodings: bool = False,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = _open_locked(self.path, overwrite)
        self._lock = threading.Lock()
        self._torn = False  # the last write failed and may have left part of a line
        self._unwritten_starts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._compactor = RequestCompactor(reuse_encodings=reuse_encodings) if compact else None
        self._bodies = BodyPrefixes() if compact else None
        memo = self._compactor.memo if self._compactor is not None else None
        self._shared = (
            SharedHistory(memo) if memo is not None else None
        )  # write_trace: history shared by objects

    def find_extension(self, body: bytes) -> Extension | None:
        """How ``body`` (an llm request as sent) extends a request this writer wrote, if it does.

        A record written with it (``write(..., sent=SentBody(body, extension=...))``) carries
        ``extension.request()`` as its request and ``extension.ref()`` as its ``request_ref``.
        """
        if self._bodies is None:
            return None
        with self._lock:
            return self._bodies.find(body)

    def write(
        self,
        record: dict[str, Any],
        *,
        encoded: bytes | None = None,
        sent: SentBody | None = None,
        clean: bool = False,
        before: tuple[bytes, ...] = (),
    ) -> None:
        """Write one record as one line.

        ``encoded``, when given, must be ``orjson.dumps(record, default=str,
        option=OPT_NON_STR_KEYS)`` of this very record (a caller that already
        encoded it); it is used, still masked, unless compaction changes the record.
        ``clean=True``: the caller found no secret in ``encoded`` (``has_secret_bytes``), so
        masking it again is skipped. ``sent``: an llm start's request body as sent,
        remembered for the requests after it. ``before``: whole lines (``line()``) written
        ahead of this one in the same ``write()``, e.g. the tool steps an llm request answers.
        """
        record_type = record.get("type")
        if record_type == "span_end" and self._unwritten_starts:
            start = self._unwritten_starts.pop(str(record.get("id")), None)
            if start is not None:  # its start never reached the file: write the step whole
                record, encoded = _whole_span(start, record), None
        given = record
        compactor = self._compactor
        parts = None
        if compactor is not None:
            if record.get("kind") == "llm" and COMPACT_KEY not in record:
                with self._lock:
                    extended = self._shared.compact(record) if self._shared is not None else None
                    recent = compactor.snapshot() if extended is None else []
                record, parts = extended if extended is not None else compactor.compact(record, recent)
            elif record.get("type") == "trace" and record.get("schema_version") != SCHEMA_VERSION:
                record = {**record, "schema_version": SCHEMA_VERSION}  # the lines below may be compact
        line = self.line(record, encoded=encoded if record is given else None, clean=clean)
        if before:
            line = b"".join(before) + line
        with self._lock:
            if self._fd is None:
                raise OSError("trace writer is closed")
            if self._torn:
                line = b"\n" + line  # whatever a failed write left behind ends here
            try:
                written = os.write(self._fd, line)
                while written < len(line):  # short writes are rare; finish the line
                    written += os.write(self._fd, line[written:])
            except OSError:
                self._torn = True
                if record_type == "span_start" and isinstance(given.get("id"), str):
                    self._unwritten_starts[given["id"]] = given
                    while len(self._unwritten_starts) > _MAX_UNWRITTEN_STARTS:
                        self._unwritten_starts.popitem(last=False)
                raise
            self._torn = False
            if (
                compactor is not None
                and (parts is not None or sent is not None)
                and isinstance(record.get("id"), str)
            ):
                self._remember(record, given, parts, sent)  # only written lines can be referred to

    @staticmethod
    def line(record: dict[str, Any], *, encoded: bytes | None = None, clean: bool = False) -> bytes:
        """The line ``write`` writes for a record that is not an llm start (``encoded``, ``clean`` as there)."""
        if encoded is not None:
            return (encoded if clean else mask_secret_bytes(encoded)) + b"\n"
        return encode_record(record)

    def _remember(
        self, record: dict[str, Any], given: dict[str, Any], parts: Any, sent: SentBody | None
    ) -> None:
        """Make a written llm request (``given``, as written ``record``) a base for later ones (lock held)."""
        assert self._compactor is not None and self._bodies is not None
        span_id = record["id"]
        if parts is not None:
            self._compactor.remember(span_id, parts)
            if self._shared is not None:
                self._shared.remember(span_id, given, parts)
            if sent is not None and sent.request is not None:
                self._bodies.learn(span_id, sent.data, sent.request, parts)
        elif sent is not None and sent.extension is not None:
            items = written_items(record, sent.extension)
            if items is not None:
                self._compactor.remember(span_id, self._bodies.extend(span_id, sent.extension, items))

    def write_header(self, header: TraceHeader) -> None:
        data = header.model_dump(mode="json", exclude_none=True)
        if self._compactor is None:
            data["schema_version"] = 1  # every request whole: any reader can read it
        self.write(data)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_MAX_UNWRITTEN_STARTS = 10_000  # starts kept while the disk is full, waiting for their ends


def _open_locked(path: Path, overwrite: bool) -> int:
    """Open for append and take an exclusive ``flock``; truncate only once the lock is ours."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise TraceFileBusyError(
            f"{path} is being written by another process; two runs are never merged into one file",
            hint="give each run its own path (the default names are unique)",
        ) from None
    except OSError:
        pass  # a file system without locks (some network mounts): write unlocked, as before
    try:
        if overwrite and stat.S_ISREG(os.fstat(fd).st_mode):
            os.ftruncate(fd, 0)
    except OSError:
        os.close(fd)
        raise
    return fd


def _whole_span(start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    """One ``span`` record from a start and its end."""
    whole = {**start, "type": "span"}
    for key, value in end.items():
        if key == "type":
            continue
        if key == "attributes" and isinstance(value, dict) and isinstance(whole.get("attributes"), dict):
            whole["attributes"] = {**whole["attributes"], **value}
        else:
            whole[key] = value
    return whole


def write_trace(
    path: str | os.PathLike[str], trace: Any, *, overwrite: bool = False, compact: bool = True
) -> Path:
    """Write a whole ``Trace`` (header + one combined line per span); ``compact`` as for ``TraceWriter``."""
    # The trace is not modified while it is written, so shared history is encoded once.
    with TraceWriter(path, overwrite=overwrite, compact=compact, reuse_encodings=True) as writer:
        writer.write_header(trace.header)
        for span in trace.spans:
            writer.write(span.to_record())
    return Path(path)
