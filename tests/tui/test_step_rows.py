"""The TUI's tree rows are the one step-summary type plus the step's place in the tree."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from agentdbg.model.records import STATUSES
from agentdbg.model.span import StepSummary
from agentdbg.store.index import TraceIndex
from agentdbg.store.reader import read_trace
from agentdbg.tui.steps import StepRow, StepTable, row_of, row_of_summary

from .conftest import NESTED

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_traces").glob("*.jsonl"))


def test_a_row_is_a_summary_with_every_field_copied() -> None:
    """Every StepSummary field reaches the row (row_of_summary passes them by position)."""
    names = [f.name for f in fields(StepSummary)]
    values = {name: f"value-{number}" for number, name in enumerate(names)}
    summary = StepSummary(**values)  # type: ignore[arg-type]
    row = row_of_summary(summary)
    assert isinstance(row, StepSummary)
    assert {name: getattr(row, name) for name in names} == values
    assert (row.parent, row.depth, row.children) == (0, 0, [])
    assert row_of_summary(summary, step=7).step == 7
    assert [f.name for f in fields(StepRow)] == [*names, "parent", "depth", "children"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_rows_from_the_index_equal_rows_from_whole_spans(path: Path) -> None:
    index = TraceIndex(path).scan()
    from_index = [row_of_summary(index.summary(position)) for position in range(len(index))]
    from_spans = [row_of(span, span.step) for span in read_trace(path).spans]
    assert from_index == from_spans
    assert from_index[0].address == "step-1"
    ended = [row for row in from_index if row.ended_at is not None and row.started_at is not None]
    assert all(row.duration == max(0.0, row.ended_at - row.started_at) for row in ended)  # type: ignore[operator]


def test_table_counts_every_status_of_the_schema() -> None:
    table = StepTable()
    assert set(table.status_counts) == set(STATUSES)
    for span in read_trace(NESTED).spans:  # ok, failed and unfinished steps
        table.add_span(span)
    assert sum(table.status_counts.values()) == len(table) and all(
        table.status_counts[status] for status in STATUSES
    )


def test_every_table_keyed_by_kind_or_status_covers_the_schemas_vocabulary() -> None:
    """Glyphs, colours and orders are looked up per kind/status: a kind added to records.SpanKind needs each."""
    from agentdbg.model.records import SPAN_KINDS
    from agentdbg.render.formatting import KIND_GLYPHS, STATUS_STYLES
    from agentdbg.tui.fork_view import _STATUS_ORDER
    from agentdbg.tui.widgets.step_tree import KIND_COLOURS, STATUS_COLOURS

    assert set(KIND_GLYPHS) == set(SPAN_KINDS) == set(KIND_COLOURS)
    assert set(STATUS_STYLES) == set(STATUSES) == set(_STATUS_ORDER)
    assert set(STATUS_COLOURS) == set(STATUSES) - {"ok"}
