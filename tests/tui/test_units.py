"""Plain tests of the TUI's pure parts: visible rows, file search, downsampling, header figures, prices."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from agentdbg.formatting import fmt_duration, fmt_tokens
from agentdbg.model.pricing import price_of, step_cost
from agentdbg.model.records import Usage
from agentdbg.store.reader import read_trace
from agentdbg.tui.fork_location import ForkLocation, fork_location
from agentdbg.tui.search import search_file
from agentdbg.tui.steps import StepTable
from agentdbg.tui.visible import VisibleRows
from agentdbg.tui.widgets.token_chart import downsample

from .conftest import NESTED, OPENAI


def _table(path: Path) -> StepTable:
    table = StepTable()
    for span in read_trace(path).spans:
        table.add_span(span)
    return table


def test_visible_rows_fold_and_append_in_tree_order() -> None:
    table = _table(NESTED)
    rows = VisibleRows(table)
    rows.rebuild()
    assert rows.steps == [1, 2, 3, 4, 5, 6, 7, 8]
    assert rows.collapse(2) and rows.steps == [1, 2, 6, 7, 8]
    assert not rows.collapse(3)  # a leaf
    assert rows.reveal(4) == 3 and rows.steps == [1, 2, 3, 4, 5, 6, 7, 8]
    assert table.next_flagged(1) == 4 and table.next_flagged(4, forward=False) == 8
    assert table.counts() == {"errors": 2, "incomplete": 1}


def test_search_file_matches_json_escaped_text_and_maps_lines_to_steps() -> None:
    table = _table(OPENAI)
    assert search_file(str(OPENAI), "tokyo", table.step_of_id) == [1, 2, 4, 5]
    # the arguments string the model wrote (stored JSON-escaped inside the request/response) is found
    assert search_file(str(OPENAI), '"city": "Paris"', table.step_of_id) == [2, 5]
    assert search_file(str(OPENAI), "nowhere-at-all", table.step_of_id) == []


def test_downsample_keeps_peaks() -> None:
    values = [1.0] * 1000
    values[537] = 99.0
    small = downsample(values, 100)
    assert len(small) == 100 and max(small) == 99.0
    assert downsample([1.0, 2.0], 100) == [1.0, 2.0]


def test_header_figures_for_long_runs() -> None:
    assert fmt_tokens(97_662_800) == "97.7M" and fmt_tokens(1234) == "1234"
    assert fmt_duration(87_899) == "24h24m" and fmt_duration(12.5) == "12.50s"


def test_cost_uses_list_prices_and_provider_cache_rules() -> None:
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.075, 0.60)
    assert price_of("some-local-model") is None
    openai = step_cost(
        "gpt-4o-mini", Usage(input_tokens=1_000_000, cached_input_tokens=1_000_000, output_tokens=0)
    )
    assert openai is not None and abs(openai - 0.075) < 1e-9  # all input was cached
    anthropic = step_cost(
        "claude-sonnet-4-20250514",
        Usage(input_tokens=1_000_000, cached_input_tokens=1_000_000, output_tokens=0),
        "anthropic",
    )
    assert anthropic is not None and abs(anthropic - 3.30) < 1e-9  # cache reads counted on top


def test_fork_location_is_beside_the_trace_and_never_overwrites(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    assert fork_location(str(trace)) == ForkLocation(tmp_path / "run.fork.jsonl")
    (tmp_path / "run.fork.jsonl").write_text("")
    assert fork_location(str(trace)).path == tmp_path / "run.fork-2.jsonl"


def test_forks_of_shipped_samples_go_to_agentdbg_dir_or_traces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = Path(__file__).parents[2] / "sample_traces" / "01_healthy_openai.jsonl"
    monkeypatch.delenv("AGENTDBG_DIR", raising=False)
    location = fork_location(str(sample), cwd=tmp_path)
    assert location.path == tmp_path / "traces" / "01_healthy_openai.fork.jsonl"
    assert location.note == "sample_traces/ ships with agentdbg, so the fork goes to ./traces"
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "mine"))
    location = fork_location(str(sample))
    assert location.path == tmp_path / "mine" / "01_healthy_openai.fork.jsonl"
    assert location.note.endswith("so the fork goes to $AGENTDBG_DIR")
    assert not list(sample.parent.glob("*.fork*.jsonl"))


def test_forks_of_traces_in_a_read_only_folder_go_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(OPENAI, locked / "run.jsonl")
    # A read-only mount refuses even root (tests here run as root, where chmod alone would not do).
    real_access = os.access
    monkeypatch.setattr(
        "agentdbg.tui.fork_location.os.access",
        lambda path, mode: False if Path(path) == locked and mode == os.W_OK else real_access(path, mode),
    )
    monkeypatch.setenv("AGENTDBG_DIR", str(tmp_path / "out"))
    location = fork_location(str(locked / "run.jsonl"))
    assert location.path == tmp_path / "out" / "run.fork.jsonl"
    assert location.note == "locked/ is read-only, so the fork goes to $AGENTDBG_DIR"
    assert (tmp_path / "out").is_dir()
