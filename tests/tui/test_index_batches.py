"""The index loader posts bounded batches: a key pressed while a batch is applied waits for at most
``ROWS_PER_BATCH`` rows, however many steps one 4 MB read finds; every row still arrives once, in order."""

from __future__ import annotations

import sys
from pathlib import Path

from agentdbg.model.records import TraceHeader
from agentdbg.store import TraceWriter
from agentdbg.store.index import TraceIndex
from agentdbg.tui.index_source import ROWS_PER_BATCH, index_batches
from agentdbg.tui.loading import apply_batch
from agentdbg.tui.steps import StepTable
from tests.tui.conftest import opened

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from gen import run_records  # noqa: E402


def _small_steps(path: Path, steps: int) -> Path:
    with TraceWriter(path, overwrite=True) as writer:
        writer.write_header(TraceHeader(trace_id="t-batches", name="batches", started_at=1.0))
        for record in run_records(steps, growth=64, episode=25):
            writer.write(record)
    return path


def test_batches_are_bounded_and_carry_every_row_once(tmp_path: Path) -> None:
    path = _small_steps(tmp_path / "run.jsonl", 1500)  # ~3,100 spans: several batches of one read
    index = TraceIndex(path)
    table = StepTable()
    source = None
    batches = list(index_batches(index, lambda: False))
    for batch in batches:
        assert len(batch.rows) <= ROWS_PER_BATCH
        source, _ = apply_batch(table, source, batch)  # type: ignore[arg-type]
        for row in batch.changed_rows:  # an ended row refreshes a row already in the table
            assert row.step <= len(table)
    assert sum(len(b.rows) for b in batches) == len(index) == len(table) > 3 * ROWS_PER_BATCH
    assert [row.step for row in table.rows] == list(range(1, len(index) + 1))
    assert [row.status for row in table.rows] == [index.summary(i).status for i in range(len(index))]
    assert batches[-1].done and batches[0].source is not None


async def test_the_app_loads_a_trace_of_many_batches_through_the_index(tmp_path: Path) -> None:
    path = _small_steps(tmp_path / "run.jsonl", 1500)
    async with opened(path, index_min_bytes=0) as (pilot, screen):
        assert len(screen.table) == len(TraceIndex(path).scan())
        assert all(row.status == "ok" for row in screen.table.rows)
        await pilot.press("G")
        assert screen.step_tree.current_step is not None
