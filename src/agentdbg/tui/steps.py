"""The TUI's table of steps: small per-step rows the tree draws, independent of where payloads live.

Rows come from whole ``Span`` objects (small files, foreign formats, ``--follow``) or from an
offset index (big files); the tree and the header only ever read rows, and ask the
``StepSource`` for a whole span when a pane needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from agentdbg.model.problems import Problem
from agentdbg.model.records import STATUSES, TraceHeader
from agentdbg.model.span import Span, StepSummary

_STEP_NAME = re.compile(r"^(?:step-?)?(\d+)$", re.IGNORECASE)


@dataclass(slots=True)
class StepRow(StepSummary):
    """What the tree shows for one step: the step's summary, and where it sits in the tree."""

    parent: int = 0  # step number of the parent, 0 for a root
    depth: int = 0
    children: list[int] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.status != "ok"


class StepSource(Protocol):
    """Where whole spans come from: memory for small traces, the file (via an index) for big ones."""

    def span(self, step: int) -> Span: ...


class StepTable:
    """Rows in start order (``rows[n - 1].step == n``), tree links, and running totals."""

    def __init__(self) -> None:
        self.header: TraceHeader | None = None
        self.problems: list[Problem] = []
        self.source_name = ""
        self.format = "agentdbg"
        self._reset()

    def _reset(self) -> None:
        self.rows: list[StepRow] = []
        self.roots: list[int] = []
        self.step_of_id: dict[str, int] = {}
        self.input_tokens = 0
        self.output_tokens = 0
        self.first_start: float | None = None
        self.last_end: float | None = None
        self.status_counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.llm_tokens: list[float] = []  # input tokens per llm step, kept as rows arrive
        self._llm_slot: dict[int, int] = {}
        self.version = 0  # bumped on every change, so views can cache rendered rows
        self._order: list[int] | None = None  # tree_order(), rebuilt when rows were added
        self._order_at: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, step: int) -> StepRow:
        return self.rows[step - 1]

    def add(self, row: StepRow, parent_id: str | None) -> StepRow:
        """Append a row; a parent not seen yet (or unknown) puts it at the root."""
        parent = self.step_of_id.get(parent_id, 0) if parent_id is not None else 0
        row.parent = parent
        row.depth = self.rows[parent - 1].depth + 1 if parent else 0
        self.rows.append(row)
        self.step_of_id[row.id] = row.step
        if parent:
            self.rows[parent - 1].children.append(row.step)
        else:
            self.roots.append(row.step)
        self._count(row)
        return row

    def replace_rows(self, rows: Iterable[tuple[StepRow, str | None]]) -> None:
        """Start over with ``rows`` (and their parent ids), keeping the header, problems and name."""
        self._reset()
        for row, parent_id in rows:
            self.add(row, parent_id)

    def _count(self, row: StepRow) -> None:
        self.version += 1
        if row.kind == "llm":
            slot = self._llm_slot.setdefault(row.step, len(self.llm_tokens))
            if slot == len(self.llm_tokens):
                self.llm_tokens.append(0.0)
            self.llm_tokens[slot] = float(row.input_tokens or 0)
        self.status_counts[row.status] = self.status_counts.get(row.status, 0) + 1
        self.input_tokens += row.input_tokens or 0
        self.output_tokens += row.output_tokens or 0
        if row.started_at is not None and (self.first_start is None or row.started_at < self.first_start):
            self.first_start = row.started_at
        if row.ended_at is not None and (self.last_end is None or row.ended_at > self.last_end):
            self.last_end = row.ended_at

    def add_span(self, span: Span) -> StepRow:
        return self.add(row_of(span, len(self.rows) + 1), span.parent_id)

    def update_span(self, span: Span) -> StepRow | None:
        """Refresh the row of a span that has just ended (``--follow``)."""
        step = self.step_of_id.get(span.id)
        if step is None:
            return None
        return self.refresh_row(row_of(span, step))

    def refresh_row(self, new: StepRow) -> StepRow | None:
        """Replace the changing fields of a row (its end arrived) from a fresh row."""
        if not 1 <= new.step <= len(self.rows):
            return None
        old = self.rows[new.step - 1]
        self.status_counts[old.status] -= 1
        self.input_tokens -= old.input_tokens or 0
        self.output_tokens -= old.output_tokens or 0
        old.ended_at, old.status = new.ended_at, new.status
        old.input_tokens, old.output_tokens, old.model = (
            new.input_tokens,
            new.output_tokens,
            new.model or old.model,
        )
        self._count(old)
        return old

    @property
    def duration(self) -> float | None:
        if self.first_start is None or self.last_end is None:
            return None
        return max(0.0, self.last_end - self.first_start)

    def counts(self) -> dict[str, int]:
        return {
            "errors": self.status_counts.get("error", 0),
            "incomplete": self.status_counts.get("incomplete", 0),
        }

    def llm_input_tokens(self) -> list[float]:
        """Input tokens of each llm step in order: context growth at a glance."""
        return self.llm_tokens

    def tree_order(self) -> list[int]:
        """Every step in the order the tree lists them (depth first), collapsed or not."""
        if self._order is None or len(self._order) != len(self.rows):
            order: list[int] = []
            stack = list(reversed(self.roots))
            while stack:
                step = stack.pop()
                order.append(step)
                stack.extend(reversed(self.rows[step - 1].children))
            self._order = order
            self._order_at = {step: at for at, step in enumerate(order)}
        return self._order

    def step_named(self, wanted: str) -> int | None:
        """The step ``wanted`` names (``step-N``, ``N`` or a span id), if the table has it."""
        match = _STEP_NAME.match(wanted.strip())
        step = int(match.group(1)) if match else self.step_of_id.get(wanted.strip())
        return step if step is not None and 1 <= step <= len(self) else None

    def tree_position(self, step: int) -> int:
        """Where ``step`` sits in ``tree_order()``."""
        self.tree_order()
        return self._order_at[step]

    def next_in_tree(self, step: int, candidates: Iterable[int], forward: bool = True) -> int | None:
        """The candidate after (or before) ``step`` going down (or up) the tree, wrapping around.

        Step numbers follow start times, which in a tree of parallel sub-agents jump between
        branches; ``n`` and ``e`` should move the way the tree reads.
        """
        order = self.tree_order()
        at = self._order_at
        here = at.get(step, -1)
        positions = sorted(at[c] for c in candidates if c in at)
        if not positions:
            return None
        if forward:
            after = next((p for p in positions if p > here), positions[0])
        else:
            after = next((p for p in reversed(positions) if p < here), positions[-1])
        return order[after]

    def next_flagged(self, step: int, forward: bool = True) -> int | None:
        """The next (or previous) step in tree order, wrapping around, that failed or never ended."""
        flagged = [row.step for row in self.rows if row.flagged]
        return self.next_in_tree(step, flagged, forward)

    def ancestors(self, step: int) -> list[int]:
        chain = []
        parent = self.rows[step - 1].parent
        while parent:
            chain.append(parent)
            parent = self.rows[parent - 1].parent
        return chain


def row_of(span: Span, step: int) -> StepRow:
    return row_of_summary(span.summary(), step)


def row_of_summary(summary: StepSummary, step: int | None = None) -> StepRow:
    """A tree row from the one step-summary type (``Span.summary()`` or ``TraceIndex.summary(i)``)."""
    return StepRow(  # positional, in StepSummary's field order (cheapest at 100k rows; a test checks every field)
        summary.step if step is None else step,
        summary.id,
        summary.parent_id,
        summary.kind,
        summary.name,
        summary.model,
        summary.started_at,
        summary.ended_at,
        summary.status,
        summary.input_tokens,
        summary.output_tokens,
        summary.error_type,
        summary.error_message,
        summary.line,
        summary.end_line,
        summary.origin,
    )


class MemorySource:
    """Spans held in memory (read whole, imported, or followed live)."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def span(self, step: int) -> Span:
        return self.spans[step - 1]

    def add(self, span: Span) -> None:
        self.spans.append(span)


def header_summary(table: StepTable) -> dict[str, Any]:
    """The figures the header shows."""
    return {
        "steps": len(table.rows),
        "input_tokens": table.input_tokens,
        "output_tokens": table.output_tokens,
        "duration": table.duration,
        **table.counts(),
    }
