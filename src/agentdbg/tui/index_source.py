"""Big native traces through ``agentdbg.store.index.TraceIndex``: rows from small fields, payloads on demand.

The scan runs in a thread worker; each ``ScanProgress`` becomes a ``Batch`` of ready-made
rows, so the UI thread only appends them and paints the first screen after the first batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from agentdbg.model.span import Span
from agentdbg.tui.loading import Batch
from agentdbg.tui.steps import row_of_summary

BIG_FILE = 16 << 20  # smaller traces are read whole (TraceBuilder): simplest, and fast enough
FIRST_BATCH_BYTES = 1 << 20
BATCH_BYTES = 4 << 20
# Rows per posted batch: the UI thread applies a batch in one go, so a key pressed meanwhile waits
# for at most this many rows (a 4 MB read of 1 KB steps is 4,000 of them).
ROWS_PER_BATCH = 500


class IndexSource:
    """Whole spans parsed from the file on demand (the index keeps an LRU of them)."""

    def __init__(self, index: Any) -> None:
        self.index = index

    def span(self, step: int) -> Span:
        span: Span = self.index.load_span(step - 1)
        return span

    def close(self) -> None:
        self.index.close()


def open_index(path: str, min_bytes: int = BIG_FILE) -> Any | None:
    """A ``TraceIndex`` on ``path`` if it is big (``min_bytes`` or more) and the store has an index module."""
    try:
        if os.path.getsize(path) < min_bytes:
            return None
    except OSError:
        return None
    try:
        from agentdbg.store.index import TraceIndex
    except ImportError:
        return None
    return TraceIndex(path)


def index_batches(index: Any, cancelled: Callable[[], bool]) -> Iterator[Batch]:
    """Scan ``index`` and yield batches of rows; the last one carries problems and ``done``.

    The first batch is small so the first screen paints at once; the rest use bigger reads.
    """
    source = IndexSource(index)
    first = True
    last_done = -1
    for batch_bytes in (FIRST_BATCH_BYTES, BATCH_BYTES):
        scan = index.scan_iter(batch_bytes=batch_bytes)
        try:
            for progress in scan:
                if progress.done_bytes == last_done and not progress.new and not progress.changed:
                    break  # no progress (e.g. a torn last line the scan keeps waiting for): stop here
                last_done = progress.done_bytes
                summary = index.summary
                new = progress.new
                for start in range(new.start, max(new.stop, new.start + 1), ROWS_PER_BATCH):
                    stop = min(start + ROWS_PER_BATCH, new.stop)
                    batch = Batch(read_bytes=progress.done_bytes, total_bytes=progress.total_bytes)
                    batch.rows = [(row_of_summary(s), s.parent_id) for s in map(summary, range(start, stop))]
                    if stop >= new.stop:  # ended rows last: every row they refresh is in the table by then
                        batch.changed_rows = [row_of_summary(summary(p)) for p in progress.changed]
                    if first:
                        batch.header, batch.source, first = index.header, source, False
                    yield batch
                    if cancelled():
                        return
                if batch_bytes == FIRST_BATCH_BYTES:
                    break
        finally:
            scan.close()  # releases the index's scan lock when we stop early
    done = Batch(done=True, header=index.header, problems=list(index.problems), read_bytes=1, total_bytes=1)
    if first:
        done.source = source
    yield done
