"""``TraceIndex.tree_fields`` and ``plain_index_lines``: the tree printed from the index's columns is the
tree ``rows()`` gives, to the character, on healthy, broken and hostile files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentdbg.render.tree import plain_index_lines, plain_tree_lines
from agentdbg.store import read_indexed
from tests.foundation.helpers import HEADER, healthy_records, write_lines
from tests.store.test_lazy import BROKEN

HOSTILE: list[Any] = [
    HEADER,
    {
        "type": "span_start",
        "id": "a",
        "kind": "agent",
        "name": "\x1b[31mred\x1b[0m\nname\t[bold]x[/]",
        "started_at": 5.0,
    },
    {
        "type": "span",
        "id": "b",
        "parent_id": "a",
        "kind": "llm",
        "name": "chat",
        "started_at": 6.0,
        "ended_at": 5.0,
        "usage": {"input_tokens": 2**64 - 1, "output_tokens": 3},
        "origin": "live",
    },
    {
        "type": "span",
        "id": "c",
        "parent_id": "a",
        "kind": "tool",
        "name": "",
        "started_at": 6.0,
        "ended_at": 80.5,
        "usage": {"output_tokens": 12345},
        "origin": "recorded",
    },
    {
        "type": "span_start",
        "id": "d",
        "parent_id": "c",
        "kind": "custom",
        "name": "x" * 90,
        "origin": "patched",
    },
    {
        "type": "span_end",
        "id": "d",
        "ended_at": 9.0,
        "error": {"type": "Boom\x07", "message": "first\x1b]0;title\x07 line " + "y" * 300 + "\nsecond"},
    },
    {"type": "span_start", "id": "e", "parent_id": "later", "kind": "retrieval", "name": "orphan"},
    {"type": "span_start", "id": "later", "kind": "agent", "name": "adopts e", "started_at": 1.0},
    {"type": "span_start", "id": "x", "parent_id": "y", "kind": "tool", "name": "cycle x"},
    {"type": "span_start", "id": "y", "parent_id": "x", "kind": "tool", "name": "cycle y"},
    {"type": "span_start", "id": "z", "parent_id": "nowhere", "kind": "tool", "name": "missing parent"},
]


def test_rows_from_columns_print_as_the_summaries_do(tmp_path: Path) -> None:
    files = [
        write_lines(tmp_path / "ok.jsonl", healthy_records()),
        write_lines(tmp_path / "broken.jsonl", [*healthy_records(), *BROKEN], trailing_newline=False),
        write_lines(tmp_path / "hostile.jsonl", HOSTILE),
    ]
    for path in files:
        trace = read_indexed(path)
        index = trace.spans.store
        rows = list(trace.rows())
        fields = list(index.tree_fields())
        assert len(fields) == len(rows) == len(trace.spans)
        for (summary, depth), row in zip(rows, fields, strict=True):
            assert row == (
                depth,
                summary.step,
                summary.kind,
                summary.name,
                summary.duration,
                summary.input_tokens,
                summary.output_tokens,
                summary.status,
                summary.error_type,
                summary.error_message,
                summary.origin,
            )
        assert list(plain_index_lines(fields)) == list(plain_tree_lines(trace))
    printed = "\n".join(plain_index_lines(read_indexed(files[2]).spans.store.tree_fields()))
    assert (
        "\x1b" not in printed
        and "\x07" not in printed
        and "[live]" in printed
        and "[recorded]" not in printed
    )


def test_column_totals_equal_the_plain_formulas_on_unknown_and_odd_values() -> None:
    """``TraceIndex.totals``'s shortcuts (no NaN: the arrays' own min/max; only -1 below zero: sum plus
    the markers) give what the element-by-element formulas give, odd values included."""
    from array import array
    from types import SimpleNamespace

    from agentdbg.store import index_rows

    nan, inf = float("nan"), float("inf")
    times = [[], [1.0, 2.0], [nan, 3.0, 1.0], [1.0, inf], [-inf, inf, 2.0], [nan, nan], [5.0, nan]]
    for starts in times:
        for ends in times:
            count = min(len(starts), len(ends))
            state = SimpleNamespace(started_at=array("d", starts), ended_at=array("d", ends))
            known_starts = [t for t in starts[:count] if t == t]
            known_ends = [t for t in ends[:count] if t == t]
            expected = (max(known_ends) - min(known_starts)) if known_starts and known_ends else None
            got = index_rows.duration(state, count)
            assert got == expected or (got != got and expected != expected), (starts, ends)
    for counts in ([], [-1, -1], [3, -1, 0, 7], [-5, 2, -1], [1 << 62, 1 << 62, -1]):
        assert index_rows.positive_sum(array("q", counts)) == sum(t for t in counts if t > 0), counts
    for flags, errors in ((b"", {}), (b"\x00\x01\x00", {0: ("E", "m")}), (b"\x01\x03\x02\x00", {3: ("E", "m"), 9: ("E", "m")}), (b"\x00\x00", {1: ("E", "m"), 7: ("E", "m")})):
        state = SimpleNamespace(flags=bytearray(flags), errors=errors)
        count = len(flags)
        expected_incomplete = sum(1 for i, f in enumerate(flags) if not f & 1 and i not in errors)
        assert index_rows.incomplete(state, count) == expected_incomplete, flags
