"""search over a generated tree of a few thousand traces: filters, parallel scan, cache reuse and invalidation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentdbg.analysis.search import SearchInputError, SearchQuery, parse_since, search
from agentdbg.analysis.search_cache import cache_dir
from agentdbg.cli import app

from .builders import corpus_run, write_corpus

runner = CliRunner()
COUNT = 2_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(root / "traces", COUNT)
    (root / "traces" / "notes.json").write_text('{"not": "a trace"}')
    (root / "traces" / "README.md").write_text("not scanned: wrong suffix")
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AGENTDBG_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "agentdbg"
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "own"))
    assert cache_dir() == tmp_path / "own"


def test_filters_on_thousands_of_traces_then_the_cache_answers(corpus: Path, cache: Path) -> None:
    traces = str(corpus / "traces")
    cold = search([traces], SearchQuery(finding="loop"), jobs=2)
    assert cold.scanned == COUNT and cold.from_cache == 0  # notes.json is not a trace: ignored, not "unreadable"
    assert cold.not_traces == [str(corpus / "traces" / "notes.json")] and cold.failed == []
    assert len(cold.matches) == COUNT // 10  # every 10th run loops
    first = min(cold.matches, key=lambda m: m.path)
    assert first.path.endswith("run-00000.jsonl") and [s.address for s in first.steps] == ["step-2"]
    assert list(cache.glob("search-*.json"))

    warm = search([traces], SearchQuery(tool="get_weather", error=True))
    assert warm.from_cache == COUNT + 1
    assert warm.seconds < cold.seconds / 3
    assert len(warm.matches) == COUNT // 10  # every 10th (+1) run's weather tool raised
    assert all(any("error" in s.reasons for s in m.steps) for m in warm.matches)

    text = search([traces], SearchQuery(text="TICKET-1234:"))
    assert [Path(m.path).name for m in text.matches] == ["run-01234.jsonl"]
    assert text.matches[0].steps[0].snippet and "ticket-1234" in text.matches[0].steps[0].snippet

    claude = search([traces], SearchQuery(model="claude"))
    assert len(claude.matches) == COUNT // 10
    since = search([traces], SearchQuery(since=1_760_000_000.0 + (COUNT - 5) * 3600))
    assert len(since.matches) == 5


def test_a_changed_file_is_read_again(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "few"
    paths = write_corpus(root, 3)
    assert len(search([str(root)], SearchQuery(text="Berlin")).matches) == 1
    corpus_run(8).write(paths[0])  # run 8 asks about Berlin too (cities cycle every 7 runs)
    os.utime(paths[0], ns=(1, 1))
    again = search([str(root)], SearchQuery(text="Berlin"))
    assert again.from_cache == 2 and len(again.matches) == 2


def test_search_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(SearchInputError):
        search([str(tmp_path / "missing")], SearchQuery())
    with pytest.raises(SearchInputError):
        parse_since("last tuesday")
    assert parse_since("2025-01-01") == 1735689600.0


def test_search_command(tmp_path: Path, cache: Path) -> None:
    root = tmp_path / "few"
    write_corpus(root, 20)
    write_corpus(tmp_path / "more", 70)
    progress = runner.invoke(app, ["search", str(tmp_path / "more"), "--json", "-j", "2"])
    assert "reading 70 new or changed file(s)" in progress.stderr and len(json.loads(progress.stdout)) == 70
    result = runner.invoke(app, ["search", str(root), "--finding", "loop", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(Path(m["path"]).name for m in data) == ["run-00000.jsonl", "run-00010.jsonl"]
    assert data[0]["steps"][0]["step"] == "step-2"
    assert "2 of 20 trace(s) matched" in result.stderr
    table = runner.invoke(app, ["search", str(root), "--tool", "search_*"], env={"COLUMNS": "160"})
    assert table.exit_code == 0 and "run-00010.jsonl" in table.stdout and "tool search_*" in table.stdout
    none = runner.invoke(app, ["search", str(root), "--text", "no such words anywhere"])
    assert none.exit_code == 1 and none.stdout == ""
    bad = runner.invoke(app, ["search", str(root), "--finding", "loops"])
    assert bad.exit_code == 2 and "unknown pattern 'loops'" in bad.stderr
    bad_date = runner.invoke(app, ["search", str(root), "--since", "yesterday-ish"])
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.stderr


def test_foreign_formats_are_searched_too(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[1] / "importers" / "data"
    write_corpus(tmp_path / "ours", 3)
    roots = [str(data / "otlp_genai.json"), str(data / "codex_legacy.jsonl"), str(tmp_path / "ours")]
    result = search(roots, SearchQuery(error=True))
    names = {Path(m.path).name for m in result.matches}
    assert {"otlp_genai.json", "codex_legacy.jsonl"} <= names and result.failed == []
    forecast = search(roots, SearchQuery(tool="get_forecast"))
    assert [Path(m.path).name for m in forecast.matches] == ["otlp_genai.json"]
    assert forecast.from_cache == result.scanned  # files given directly are cached too
