"""The one way to read an agentdbg trace file: an offset index behind a ``Trace`` whose spans load on demand.

``read_indexed(path)`` scans the file once (small fields of every step, the
reader's problems) and returns a ``Trace`` whose ``spans`` is a ``LazySpans``:
``trace.step("step-9")`` or ``trace.spans[8]`` parses that one step (and the
earlier requests it refers to), ``for span in trace.spans`` streams every step
without keeping them, ``trace.rows()``/``trace.summaries()``/``trace.totals()``
never touch payloads. Bad lines are reported exactly as ``read_trace`` reports
them (both use ``reader.decode_line``/``validate_record``). ``read_trace`` stays
the eager reader for small files and for code that edits spans in place.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from agentdbg.model.trace import Trace
from agentdbg.store.index import ScanProgress, TraceIndex

CACHE_SPANS = 32  # parsed spans kept for random access; a pass keeps none


def open_index(
    path: str | os.PathLike[str], progress: Callable[[ScanProgress], None] | None = None
) -> TraceIndex:
    """A fully scanned ``TraceIndex`` on ``path`` with a small span cache.

    Raises:
        TraceReadError: the path is a directory or cannot be opened.
    """
    return TraceIndex(path, cache_bytes=16 << 20, cache_spans=CACHE_SPANS).scan(progress)


def read_indexed(
    path: str | os.PathLike[str], progress: Callable[[ScanProgress], None] | None = None
) -> Trace:
    """``path`` as a lazy ``Trace`` (see the module doc); the file stays open while the trace lives.

    Raises:
        TraceReadError: the path is a directory or cannot be opened.
    """
    index = open_index(path, progress)
    return Trace.lazy(index.header, index.problems, index.source, index)


__all__ = ["open_index", "read_indexed"]
