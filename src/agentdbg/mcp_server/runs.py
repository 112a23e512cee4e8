"""Open runs for the MCP tools: our JSONL through the offset index (a 100k-step file pages fast), other formats
through their importer; each opened once and kept while its file is unchanged."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentdbg.model.records import TraceHeader
from agentdbg.model.span import Span, StepSummary
from agentdbg.model.trace import Trace
from agentdbg.store.index import TraceIndex


@dataclass(slots=True)
class StepRow(StepSummary):
    """One line of ``list_steps``: a step's summary and depth, what a model needs to pick a step to read."""

    depth: int = 0

    @property
    def error(self) -> str | None:
        return self.error_type or self.error_message

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "step": self.address,
            "kind": self.kind,
            "name": self.name,
            "status": self.status,
            "depth": self.depth,
        }
        if self.input_tokens is not None or self.output_tokens is not None:
            row["tokens"] = {"in": self.input_tokens, "out": self.output_tokens}
        if self.duration is not None:
            row["seconds"] = round(self.duration, 3)
        if self.error:
            row["error"] = self.error
        return row


class OpenRun:
    """A run opened for queries: header, totals, step rows in step order, one step in full on demand."""

    def __init__(self, path: Path) -> None:
        from agentdbg.importers import detect_format, open_trace

        self.path = path
        self.format = detect_format(path)
        self._index: TraceIndex | None = None
        self._trace: Trace | None = None
        if self.format == "agentdbg":
            self._index = TraceIndex(path)  # scanned as far as a call needs (a first page reads only its lines)
        else:
            self._trace = open_trace(path)
        self._rows: list[StepRow] | None = None

    def _scanned(self, steps: int | None = None) -> TraceIndex:
        """The index, scanned until it holds ``steps`` steps (``None``: the whole file)."""
        index = self._index
        assert index is not None
        if not index.complete and (steps is None or len(index) < steps):
            for progress in index.scan_iter():
                if steps is not None and len(index) >= steps and progress.done_bytes < progress.total_bytes:
                    break  # enough for this call; the rest is read when a later call needs it
        return index

    @property
    def header(self) -> TraceHeader:
        return self._scanned(1).header if self._index is not None else self._require_trace().header

    def totals(self) -> dict[str, Any]:
        return self._scanned().totals() if self._index is not None else self._require_trace().totals()

    def problems(self) -> list[Any]:
        return self._scanned().problems if self._index is not None else self._require_trace().problems

    def page(self, offset: int, limit: int) -> tuple[list[StepRow], int, bool]:
        """Steps ``offset`` … ``offset + limit - 1``, the step count known so far, and whether it is final.

        Through the index only the lines up to the page (and one more step) are read, so the first page of a
        100k-step file comes back before the rest is scanned.
        """
        if self._index is None:
            rows = self.rows()
            return rows[offset : offset + limit], len(rows), True
        index = self._scanned(offset + limit + 1)
        stop = min(offset + limit, len(index))
        return [self._index_row(index, position) for position in range(offset, stop)], len(index), index.complete

    def _require_trace(self) -> Trace:
        assert self._trace is not None
        return self._trace

    def rows(self) -> list[StepRow]:
        """Every step in step order (computed once)."""
        if self._rows is None:
            self._rows = self._index_rows() if self._index is not None else self._trace_rows()
        return self._rows

    def _index_rows(self) -> list[StepRow]:
        index = self._scanned()
        return [self._index_row(index, position) for position in range(len(index))]

    @staticmethod
    def _index_row(index: TraceIndex, position: int) -> StepRow:
        return StepRow.of_summary(index.summary(position), depth=index.depth(position))

    def _trace_rows(self) -> list[StepRow]:
        trace = self._require_trace()
        depths = {span.id: depth for span, depth in trace.walk()}
        return [
            StepRow.of_summary(span.summary(), depth=depths.get(span.id, 0))
            for span in sorted(trace.spans, key=lambda s: s.step)
        ]

    def span(self, address: str | int) -> Span:
        """One step in full (``step-N`` or ``N``).

        Raises:
            StepNotFoundError: no such step.
        """
        if self._index is not None:
            index = self._scanned()
            return index.load_span(index.find(address))
        return self._require_trace().step(address)

    def trace(self) -> Trace:
        """The whole run in memory, for whole-run analyses (diagnose, diff, markdown)."""
        if self._trace is None:
            from agentdbg.importers import open_trace

            self._trace = open_trace(self.path)
        return self._trace

    def close(self) -> None:
        if self._index is not None:
            self._index.close()


class RunCache:
    """Opened runs by path, reopened when the file's size or mtime changes; the least recently used are closed."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._runs: OrderedDict[Path, tuple[tuple[int, int], OpenRun]] = OrderedDict()

    def get(self, path: Path) -> OpenRun:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        cached = self._runs.get(path)
        if cached is not None and cached[0] == key:
            self._runs.move_to_end(path)
            return cached[1]
        if cached is not None:
            cached[1].close()
        run = OpenRun(path)
        self._runs[path] = (key, run)
        while len(self._runs) > self._size:
            _, (_, oldest) = self._runs.popitem(last=False)
            oldest.close()
        return run


__all__ = ["OpenRun", "RunCache", "StepRow"]
