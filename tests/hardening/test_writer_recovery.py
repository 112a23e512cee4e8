"""The writer after a failed write: a fresh line, no step lost; two processes on one path never merge."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

import agentdbg
from agentdbg import errors
from agentdbg.store import TraceWriter, read_trace
from agentdbg.store import writer as writer_module
from agentdbg.testing.llm_server import FakeLLMServer, reply


class FillingDisk:
    """``os.write`` that, while 'full', writes part of a line and then fails with ENOSPC, like a real disk."""

    def __init__(self) -> None:
        self.full = False
        self.failures = 0
        self._write = os.write

    def __call__(self, fd: int, data: bytes) -> int:
        if not self.full:
            return self._write(fd, data)
        self.failures += 1
        self._write(fd, data[: max(1, len(data) // 3)])
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> FillingDisk:
    fake = FillingDisk()
    monkeypatch.setattr(writer_module.os, "write", fake)
    return fake


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with FakeLLMServer(default=reply("ok")) as server:
        yield agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key", max_retries=0))


def test_after_a_torn_write_the_next_line_starts_fresh(tmp_path: Path, disk: FillingDisk) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path) as writer:
        writer.write({"type": "trace", "schema_version": 1, "trace_id": "t", "name": "torn"})
        disk.full = True
        with pytest.raises(OSError):
            writer.write({"type": "span", "id": "lost", "kind": "custom", "name": "x" * 200})
        disk.full = False
        writer.write({"type": "span", "id": "kept", "kind": "custom", "name": "after"})
    trace = read_trace(path)
    assert [span.id for span in trace.spans] == ["kept"]
    assert [problem.line for problem in trace.problems] == [2]  # the torn fragment alone, named
    assert path.read_bytes().count(b"\n") == 3


def test_a_step_whose_start_was_lost_keeps_its_end(tmp_path: Path, disk: FillingDisk) -> None:
    path = tmp_path / "t.jsonl"
    with TraceWriter(path) as writer:
        writer.write({"type": "trace", "schema_version": 1, "trace_id": "t", "name": "torn"})
        disk.full = True
        with pytest.raises(OSError):
            writer.write({"type": "span_start", "id": "s", "kind": "tool", "name": "lookup", "started_at": 1.0})
        disk.full = False
        writer.write({"type": "span_end", "id": "s", "ended_at": 2.0, "output": "found", "attributes": {"a": 1}})
    trace = read_trace(path)
    assert not [p for p in trace.problems if "unknown span id" in p.message]
    (span,) = trace.spans
    assert (span.name, span.output, span.ended, span.duration) == ("lookup", "found", True, 1.0)


def test_disk_full_then_freed_mid_run_loses_no_later_step(
    tmp_path: Path, disk: FillingDisk, client: openai.OpenAI, capfd: pytest.CaptureFixture[str]
) -> None:
    @agentdbg.tool
    def lookup(query: str) -> str:
        return f"found {query}"

    path = tmp_path / "run.jsonl"
    with agentdbg.trace("filling", path=path):
        for index in range(6):
            disk.full = index in (2, 3)  # the disk fills during steps 2-3, then space is freed
            with agentdbg.span(f"round-{index}"):
                client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"q{index}"}])
                lookup(f"q{index}")
        disk.full = False
    assert disk.failures > 0 and "No space left on device" in capfd.readouterr().err
    trace = read_trace(path)
    messages = [problem.message for problem in trace.problems]
    assert not [m for m in messages if "unknown span id" in m], messages
    assert all(problem.line > 0 for problem in trace.problems)
    rounds = {span.name for span in trace.spans if span.name.startswith("round-")}
    assert {"round-4", "round-5"} <= rounds  # every round after the disk was freed, start and end
    for span in trace.spans:
        if span.name in ("round-4", "round-5"):
            assert span.ended
    assert [span.output for span in trace.spans if span.kind == "tool"][-2:] == ["found q4", "found q5"]


RECORDER = """
import sys, time, agentdbg
with agentdbg.trace("second", path=sys.argv[1]):
    with agentdbg.span("second-run-step"):
        pass
print("done", flush=True)
"""


def test_two_processes_on_one_path_are_never_merged(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    with agentdbg.trace("first", path=path), agentdbg.span("first-run-step"):
        done = subprocess.run(
            [sys.executable, "-c", RECORDER, str(path)], capture_output=True, text=True, timeout=120
        )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "is being recorded by another process" in done.stderr and "this run is written to" in done.stderr
    first = read_trace(path)
    assert first.header.name == "first" and [s.name for s in first.spans] == ["first-run-step"]
    assert not first.problems
    (other,) = [p for p in tmp_path.iterdir() if p != path]
    second = read_trace(other)
    assert second.header.name == "second" and [s.name for s in second.spans] == ["second-run-step"]


def test_a_second_writer_on_a_busy_path_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "busy.jsonl"
    with TraceWriter(path) as writer:
        writer.write({"type": "trace", "schema_version": 1, "trace_id": "t", "name": "first"})
        with pytest.raises(errors.TraceFileBusyError, match="being written by another process"):
            TraceWriter(path, overwrite=True)
        assert path.read_bytes().count(b"\n") == 1  # the refused writer truncated nothing
    with TraceWriter(path, overwrite=True) as again:  # free once the first one closed
        again.write({"type": "trace", "schema_version": 1, "trace_id": "u", "name": "next"})
    assert read_trace(path).header.name == "next"
