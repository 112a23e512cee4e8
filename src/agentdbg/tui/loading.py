"""Read a native trace in batches, and keep reading as it grows (``--follow``).

Pure Python (no textual): the app runs ``TraceTail.poll`` in a thread worker and posts
each ``Batch`` to the UI thread, so the first screen paints after the first batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from agentdbg.errors import TraceReadError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span
from agentdbg.store.reader import TraceBuilder
from agentdbg.tui.steps import MemorySource, StepRow, StepSource, StepTable

CHUNK = 1 << 20


@dataclass
class Batch:
    """What one read added: new spans, spans that just ended, new problems, progress."""

    new: list[Span] = field(default_factory=list)
    ended: list[Span] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header: TraceHeader | None = None
    done: bool = False
    read_bytes: int = 0
    total_bytes: int = 0
    format: str | None = None
    rows: list[tuple[StepRow, str | None]] = field(default_factory=list)  # ready rows (index path)
    changed_rows: list[StepRow] = field(default_factory=list)
    source: StepSource | None = None

    def __bool__(self) -> bool:
        return bool(
            self.new
            or self.ended
            or self.rows
            or self.changed_rows
            or self.problems
            or self.header
            or self.done
        )


def apply_batch(table: StepTable, source: StepSource, batch: Batch) -> tuple[StepSource, list[int]]:
    """Add what ``batch`` read to ``table`` (and to ``source`` if in memory): the source now and the new steps."""
    if batch.header is not None:
        table.header = batch.header
    if batch.format:
        table.format = batch.format
    if batch.source is not None:
        source = batch.source
    new_steps = []
    for span in batch.new:
        if isinstance(source, MemorySource):
            source.add(span)
        new_steps.append(table.add_span(span).step)
    for row, parent_id in batch.rows:
        new_steps.append(table.add(row, parent_id).step)
    for span in batch.ended:
        table.update_span(span)
    for row in batch.changed_rows:
        table.refresh_row(row)
    table.problems.extend(batch.problems)
    return source, new_steps


class TraceTail:
    """Reads whole lines appended to a trace file since the last call, feeding ``TraceBuilder``.

    A last line without a newline is kept back until its newline arrives (the writer may be
    mid-write); at the end of a non-follow read it is fed as the possibly truncated last line.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.builder = TraceBuilder(str(self.path))
        self._offset = 0
        self._line = 0
        self._partial = b""
        self._problems_seen = 0
        self._header_sent = False
        try:
            self._handle = open(self.path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise TraceReadError(f"cannot open {self.path}: {exc.strerror or exc}") from exc

    def close(self) -> None:
        self._handle.close()

    def size(self) -> int:
        try:
            return os.fstat(self._handle.fileno()).st_size
        except OSError:
            return self._offset

    def poll(self, max_bytes: int = CHUNK, final: bool = False) -> Batch:
        """Read up to ``max_bytes`` more; ``final`` flushes a trailing partial line."""
        batch = Batch()
        self._handle.seek(self._offset)
        data = self._handle.read(max_bytes)
        self._offset += len(data)
        buffer = self._partial + data
        lines = buffer.split(b"\n")
        self._partial = lines.pop()
        at_end = self._offset >= self.size()
        for raw in lines:
            self._feed(raw, True, batch)
        if final and at_end and self._partial:
            partial, self._partial = self._partial, b""
            self._feed(partial, False, batch, last=True)
        if self.builder.header is not None and not self._header_sent:
            batch.header = self.builder.header
            self._header_sent = True
        if len(self.builder.problems) > self._problems_seen:
            batch.problems = self.builder.problems[self._problems_seen :]
            self._problems_seen = len(self.builder.problems)
        batch.read_bytes = self._offset - len(self._partial)
        batch.total_bytes = max(self.size(), self._offset)
        batch.done = final and at_end
        return batch

    def _feed(self, raw: bytes, complete: bool, batch: Batch, last: bool = False) -> None:
        self._line += 1
        stripped = raw.strip()
        if not stripped:
            return
        before = len(self.builder.spans)
        span = self.builder.feed_line(self._line, stripped, complete, last=last)
        if span is None:
            return
        if len(self.builder.spans) > before:
            batch.new.append(span)
        else:
            batch.ended.append(span)


def looks_native(path: str | os.PathLike[str]) -> bool:
    """True when the first line is an agentdbg record (skips loading every importer for our own files)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(1 << 16).strip()
    except OSError:
        return False
    compact = first.replace(b" ", b"")
    return first.startswith(b"{") and any(
        marker in compact for marker in (b'"type":"trace"', b'"type":"span')
    )
