"""Append-only, crash-safe trace writing: one ``write()`` per line, flushed at once.

The file is opened with ``O_APPEND`` and each record is encoded to one bytes
object and handed to a single ``os.write`` under a lock, so concurrent writers
never interleave within a line and a kill loses at most the line in flight.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson

from agentdbg.model.records import TraceHeader


def encode_record(record: dict[str, Any]) -> bytes:
    """One JSONL line for ``record`` (non-JSON values become strings)."""
    return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"


class TraceWriter:
    """Appends records to a trace file. Thread-safe. Raises ``OSError`` on write failure."""

    def __init__(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if overwrite else 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Write one record as one line."""
        line = encode_record(record)
        with self._lock:
            if self._fd is None:
                raise OSError("trace writer is closed")
            written = os.write(self._fd, line)
            while written < len(line):  # short writes are rare; finish the line
                written += os.write(self._fd, line[written:])

    def write_header(self, header: TraceHeader) -> None:
        self.write(header.model_dump(mode="json", exclude_none=True))

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_trace(path: str | os.PathLike[str], trace: Any, *, overwrite: bool = False) -> Path:
    """Write a whole ``Trace`` (header + one combined line per span)."""
    with TraceWriter(path, overwrite=overwrite) as writer:
        writer.write_header(trace.header)
        for span in trace.spans:
            writer.write(span.to_record())
    return Path(path)
