"""An offset index over a trace file: small fields of every span in one pass, payloads on demand.

Opening a multi-GB trace must not build a ``Span`` (with its messages and
responses) per step. ``TraceIndex`` reads the file in batches, keeps only the
small fields of each span in parallel arrays, and parses a span's full payload
from its byte offsets when asked, through a bounded LRU cache::

    index = TraceIndex("run.jsonl")          # opens nothing big; nothing scanned yet
    for progress in index.scan_iter(batch_bytes=4 << 20):   # in a worker thread
        post(progress)                       # ScanProgress(done_bytes, total_bytes, spans, new, changed)
    index.header                             # TraceHeader (a default one if the file has none)
    len(index)                               # spans indexed so far (step-N is index N-1)
    index.summary(0)                         # StepSummary: step, id, kind, name, times, status, tokens, error
    index.roots, index.children(0)           # the tree, as span positions
    index.problems                           # Problems, same wording as ``read_trace``
    index.load_span(0)                       # the full ``Span`` (cached, compact requests expanded)
    index.refresh()                          # follow mode: index appended lines; returns ScanProgress
    index.find("step-3"), index.parent(i), index.depth(i), index.totals(), index.complete, index.close()

Errors are tolerated like ``read_trace`` (shared ``decode_line``/``validate_record``
and the same messages; a test compares both on mutated files): bad lines become
problems with line numbers and are skipped. Two things show only when a span is
loaded, since they live inside payloads: a ``request_ref`` whose base does not fit
(``load_span`` marks the span ``replayable: false``) and numbers too large for a
float (see ``index_fast``). Plain lines take the msgspec fast path (``index_fast``);
the rest follow the reader's rules (``index_scan``). One step is read whole by ``index_spans``, a
pass over all of them is ``index_pass``. The garbage collector is
paused during each batch (the scan creates no cycles) and resumed between them.
Threads: one thread scans (``scan_iter``/``refresh``); others may call
``summary``/``children``/``load_span`` for positions below ``len(index)`` meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentdbg.errors import StepNotFoundError, TraceReadError
from agentdbg.model.problems import Problem
from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span, Status, StepSummary
from agentdbg.model.trace import step_number
from agentdbg.store import compact, index_pass, index_rows, index_spans
from agentdbg.store.index_pass import PassStep
from agentdbg.store.index_rows import TreeFields, tree_fields
from agentdbg.store.index_scan import ScanState, scan_batch
from agentdbg.store.reader import TRUNCATED_LAST_LINE

SpanSummary = StepSummary  # the one summary type lives in model/span.py; old name kept


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """One batch done: bytes scanned so far, file size, span count, new positions, positions that ended."""

    done_bytes: int
    total_bytes: int
    spans: int
    new: range
    changed: tuple[int, ...]

    @property
    def fraction(self) -> float:
        return 1.0 if self.total_bytes <= 0 else min(1.0, self.done_bytes / self.total_bytes)


def _opt(value: float) -> float | None:
    return None if value != value else value  # NaN marks "unknown"


class TraceIndex:
    """Small fields of every span of one trace file, plus on-demand payloads.

    Args:
        path: the trace file (agentdbg JSONL, schema version 1 or 2).
        cache_bytes: bound on the raw line bytes kept by the ``load_span`` cache.
        cache_spans: bound on the number of spans that cache keeps (parsed spans are much bigger
            than their compact lines; ``read_indexed`` keeps a few).

    Raises:
        TraceReadError: if the path is a directory or cannot be opened.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, cache_bytes: int = 64 << 20, cache_spans: int | None = None
    ) -> None:
        self.path = Path(path)
        self.source = str(self.path)
        if self.path.is_dir():
            raise TraceReadError(f"{self.path} is a directory, not a trace file")
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise TraceReadError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        self._state = ScanState(self.source)
        self._cache: OrderedDict[int, tuple[Span, int]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cache_spans = cache_spans if cache_spans is not None else 1 << 62
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._parts: OrderedDict[int, compact.Parts | None] = OrderedDict()

    # -- scanning -------------------------------------------------------------------------------

    def scan_iter(self, batch_bytes: int = 4 << 20) -> Iterator[ScanProgress]:
        """Index the lines not yet seen, one batch at a time, yielding progress after each batch."""
        with self._scan_lock:
            state = self._state
            total = os.fstat(self._fd).st_size
            if total < state.offset:  # truncated or replaced: start over
                self._reset()
                state = self._state
            if state.tail_open and os.pread(self._fd, 1, state.offset) == b"\n":
                state.offset += 1  # the newline of a last line indexed before it arrived
            state.tail_open = False
            state.pending_tail = None
            with open(os.dup(self._fd), "rb", buffering=1 << 20) as handle:
                handle.seek(state.offset)
                lines = iter(handle)
                done = state.offset >= total
                while not done:
                    first = len(state.ids)
                    collecting = gc.isenabled()
                    if collecting:  # a batch makes no cycles; the collector would only re-walk the index
                        gc.disable()
                    try:
                        changed, done = scan_batch(state, lines, max(batch_bytes, 1))
                    finally:
                        if collecting:
                            gc.enable()
                    if changed and self._cache:  # a first scan has loaded nothing to forget
                        self._forget(changed)
                    yield ScanProgress(
                        state.offset, total, len(state.ids), range(first, len(state.ids)), tuple(changed)
                    )
            state.finish(total)

    def scan(
        self, progress: Callable[[ScanProgress], None] | None = None, batch_bytes: int = 4 << 20
    ) -> TraceIndex:
        """Index the whole file (calling ``progress`` after each batch); returns ``self``."""
        for step in self.scan_iter(batch_bytes):
            if progress is not None:
                progress(step)
        return self

    def refresh(self) -> ScanProgress:
        """Index lines appended since the last scan (follow mode); the union of the batches' news."""
        first = len(self._state.ids)
        changed: list[int] = []
        last: ScanProgress | None = None
        for last in self.scan_iter():
            changed.extend(last.changed)
        total = last.total_bytes if last else self._state.offset
        return ScanProgress(
            self._state.offset,
            total,
            len(self._state.ids),
            range(first, len(self._state.ids)),
            tuple(changed),
        )

    @property
    def complete(self) -> bool:
        """True once a scan reached the end of the file (as it was then)."""
        return self._state.finished

    def _reset(self) -> None:
        self._state = ScanState(self.source)
        with self._lock:
            self._cache.clear()
            self._cached_bytes = 0
            self._parts.clear()

    def _forget(self, positions: list[int]) -> None:
        with self._lock:
            for position in positions:
                entry = self._cache.pop(position, None)
                if entry is not None:
                    self._cached_bytes -= entry[1]

    # -- small fields ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._state.ids)

    @property
    def header(self) -> TraceHeader:
        """The file's header, or a default one (named after the file) if it has none."""
        state = self._state
        if state.header is not None:
            return state.header
        started = min((t for t in state.started_at if t == t), default=None)
        return TraceHeader(trace_id=state.default_id, name=self.path.stem, started_at=started)

    @property
    def problems(self) -> list[Problem]:
        """Problems so far (sorted by line), worded as ``read_trace`` words them."""
        state = self._state
        found = list(state.problems)
        found.extend(state.orphan_problems())
        if state.finished and state.header is None and (state.ids or state.problems) and state.bad_header_line is None:
            found.append(
                Problem(
                    path=self.source,
                    line=1,
                    message="no trace header line; using a default header",
                    field="type",
                    severity="warning",
                )
            )
        if state.pending_tail is not None and state.finished:
            found.append(
                Problem(
                    path=self.source, line=state.pending_tail, message=TRUNCATED_LAST_LINE, severity="warning"
                )
            )
        found.sort(key=lambda p: p.line)
        return found

    def summary(self, position: int) -> StepSummary:
        """The small fields of the span at ``position`` (``step - 1``)."""
        s = self._state
        error = s.errors.get(position)
        tokens_in = s.input_tokens[position]
        tokens_out = s.output_tokens[position]
        if position in s.huge_tokens:
            huge_in, huge_out = s.huge_tokens[position]
            tokens_in = -1 if huge_in is None else huge_in
            tokens_out = -1 if huge_out is None else huge_out
        flags = s.flags[position]
        status: Status = "error" if error is not None else ("ok" if flags & 1 else "incomplete")
        end_line = s.end_lines[position]
        return SpanSummary(
            step=position + 1,
            id=s.ids[position],
            parent_id=s.parent_of(position),
            kind=s.kinds[position],
            name=s.names[position],
            model=s.models[position],
            started_at=_opt(s.started_at[position]),
            ended_at=_opt(s.ended_at[position]),
            status=status,
            input_tokens=None if tokens_in < 0 else tokens_in,
            output_tokens=None if tokens_out < 0 else tokens_out,
            error_type=error[0] if error else None,
            error_message=error[1] if error else None,
            line=s.lines[position],
            end_line=end_line if end_line > 0 else None,
            origin=s.origins.get(position),
        )

    def summaries(self, start: int = 0, stop: int | None = None) -> list[StepSummary]:
        return [
            self.summary(i) for i in range(start, min(len(self), stop if stop is not None else len(self)))
        ]

    @property
    def roots(self) -> list[int]:
        """Positions of the spans shown at the root (no parent, or a parent that is missing)."""
        return self._state.root_positions()

    def children(self, position: int) -> list[int]:
        """Positions of the children of the span at ``position``, in start order."""
        return list(self._state.children.get(position, ()))

    def tree_fields(self) -> Iterator[TreeFields]:
        """``rows()``'s summaries as plain tuples in tree order, for printing 100k rows (see ``index_rows``)."""
        return tree_fields(self._state)

    def parent(self, position: int) -> int | None:
        return self._state.parent_pos_of(position)

    def depth(self, position: int) -> int:
        depth = 0
        cursor = self._state.parent_pos_of(position)
        while cursor is not None:
            depth += 1
            cursor = self._state.parent_pos_of(cursor)
        return depth

    def find(self, address: str | int) -> int:
        """Position of ``step-N``, ``N`` or a span id.

        Raises:
            StepNotFoundError: naming the valid range.
        """
        state = self._state
        if isinstance(address, str):
            if address in state.by_id:
                return state.by_id[address]
            number = step_number(address) or 0
        else:
            number = address
        if 1 <= number <= len(state.ids):
            return number - 1
        valid = f"step-1 … step-{len(state.ids)}" if state.ids else "none: the trace has no steps"
        raise StepNotFoundError(f"no step {address!r} in {self.source}; valid steps: {valid}")

    def positions_of_kind(self, kind: str) -> list[int]:
        """Positions of the spans of one kind, in start order (no summary built)."""
        return index_pass.positions_of_kind(self, kind)

    def pass_steps(self, problem_lines: set[int]) -> Iterator[PassStep | Span]:
        """Every step in order, light where its lines are plain (``index_pass.pass_steps``)."""
        return index_pass.pass_steps(self, problem_lines)

    def totals(self) -> dict[str, Any]:
        """Same figures as ``Trace.totals()``, from the small fields only."""
        s = self._state
        count = len(s.ids)
        return {
            "steps": count,
            "input_tokens": index_rows.positive_sum(s.input_tokens[:count]),
            "cached_input_tokens": sum(s.cached_input.values()),
            "output_tokens": index_rows.positive_sum(s.output_tokens[:count]),
            "duration": index_rows.duration(s, count),
            "errors": len(s.errors),
            "incomplete": index_rows.incomplete(s, count),
        }

    # -- payloads -------------------------------------------------------------------------------

    def _read_line(self, offset: int, length: int) -> bytes:
        return os.pread(self._fd, length, offset)

    def load_span(self, position: int) -> Span:
        """The full span at ``position``, parsed from its lines (LRU-cached, bounded by bytes)."""
        with self._lock:
            entry = self._cache.get(position)
            if entry is not None:
                self._cache.move_to_end(position)
                return entry[0]
        span, cost = self._parse_span(position)
        with self._lock:
            old = self._cache.pop(position, None)
            if old is not None:
                self._cached_bytes -= old[1]
            self._cache[position] = (span, cost)
            self._cached_bytes += cost
            while (
                self._cached_bytes > self._cache_bytes or len(self._cache) > self._cache_spans
            ) and len(self._cache) > 1:
                _, (_, dropped) = self._cache.popitem(last=False)
                self._cached_bytes -= dropped
        return span

    def read_span(self, position: int) -> Span:
        """The full span at ``position``, parsed afresh and not cached (for one pass over every step)."""
        return self._parse_span(position)[0]

    def position_of(self, span_id: str) -> int | None:
        """The position of the span with id ``span_id``, if indexed."""
        return self._state.by_id.get(span_id)

    def _record(self, offset: int, length: int) -> dict[str, Any]:
        return index_spans.record(self, offset, length)

    def _parse_span(self, position: int) -> tuple[Span, int]:
        return index_spans.parse_span(self, position)

    def iter_spans(self) -> Iterator[Span]:
        """Every span in order, each parsed afresh and not cached: one pass (``index_pass.iter_spans``)."""
        return index_pass.iter_spans(self)

    def _start_record(self, position: int) -> dict[str, Any]:
        return self._record(self._state.start_off[position], self._state.start_len[position])

    def _base_parts(self, span_id: str) -> compact.Parts | None:
        return index_spans.base_parts(self, span_id)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> TraceIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()


__all__ = ["PassStep", "ScanProgress", "SpanSummary", "StepSummary", "TraceIndex"]
