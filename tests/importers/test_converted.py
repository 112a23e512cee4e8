"""Big foreign files are converted once into the cache and then read through the offset index."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentdbg.cli import app
from agentdbg.importers import IMPORTERS, _load_builtin_importers, open_trace
from agentdbg.model.trace import LazySpans
from tests.importers.corpus import DATA

SESSION = DATA / "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl"


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Claude Code 2.x session (with its sub-agent folder) in a private copy, converted from 0 bytes."""
    shutil.copytree(SESSION.with_suffix(""), tmp_path / "s" / SESSION.stem)
    copy = tmp_path / "s" / SESSION.name
    shutil.copy(SESSION, copy)
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AGENTDBG_CONVERT_MIN_BYTES", "0")
    return copy


def _count_imports(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    _load_builtin_importers()
    importer = IMPORTERS["claude-code"]
    calls: list[Path] = []
    load = importer.load

    def counted(path: Any) -> Any:
        calls.append(Path(path))
        return load(path)

    monkeypatch.setitem(IMPORTERS, "claude-code", dataclasses.replace(importer, load=counted))
    return calls


def _converted(tmp_path: Path) -> list[str]:
    folder = tmp_path / "cache" / "converted"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_converted_once_then_read_through_the_index_as_the_import_reads(
    session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_imports(monkeypatch)
    eager = open_trace(session)
    first, second = open_trace(session, lazy=True), open_trace(session, lazy=True)
    assert len(calls) == 2  # the eager open and the conversion; the second lazy open read the cache
    assert len(_converted(tmp_path)) == 2  # one trace + its sidecar
    for lazy in (first, second):
        assert isinstance(lazy.spans, LazySpans) and lazy.is_lazy
        assert lazy.format == eager.format == "claude-code" and lazy.source == eager.source
        assert [p.model_dump() for p in lazy.problems] == [p.model_dump() for p in eager.problems]
        assert lazy.header == eager.header and lazy.totals() == eager.totals()
        assert [(row.id, depth) for row, depth in lazy.rows()] == [(s.id, d) for s, d in eager.walk()]
        for span, mine in zip(eager.spans, lazy.spans, strict=True):
            assert mine.to_record() == span.to_record()
    runner = CliRunner()
    shown = runner.invoke(app, ["show", str(session), "--print"])
    monkeypatch.setenv("AGENTDBG_CONVERT_MIN_BYTES", str(1 << 40))  # nothing is converted: the import
    assert runner.invoke(app, ["show", str(session), "--print"]).stdout == shown.stdout
    assert len(calls) == 3


def test_a_changed_session_or_sub_agent_is_converted_again(
    session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_imports(monkeypatch)
    open_trace(session, lazy=True)
    before = _converted(tmp_path)
    agent = next(session.with_suffix("").glob("subagents/agent-*.jsonl"))
    stat = agent.stat()
    os.utime(agent, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    open_trace(session, lazy=True)
    assert len(calls) == 2 and _converted(tmp_path) != before and len(_converted(tmp_path)) == 2
    with open(session, "ab") as handle:
        handle.write(session.read_bytes().splitlines(keepends=True)[-1])
    grown = open_trace(session, lazy=True)
    assert len(calls) == 3 and len(_converted(tmp_path)) == 2  # one conversion kept per source
    assert len(grown.spans) == len(open_trace(session).spans)


def test_small_files_and_unwritable_caches_use_the_import(
    session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_imports(monkeypatch)
    monkeypatch.setenv("AGENTDBG_CONVERT_MIN_BYTES", str(session.stat().st_size + 1))
    assert not open_trace(session, lazy=True).is_lazy
    assert _converted(tmp_path) == []
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(blocker))
    monkeypatch.setenv("AGENTDBG_CONVERT_MIN_BYTES", "0")
    trace = open_trace(session, lazy=True)
    assert not trace.is_lazy and trace.format == "claude-code" and len(calls) == 2
