"""Writer faults never stop the agent: a full disk, a deleted file, a read-only directory, a closed handle."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

import agentdbg
from agentdbg.store import TraceWriter, read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with FakeLLMServer(default=reply("still here")) as server:
        yield agentdbg.wrap_openai(
            openai.OpenAI(base_url=server.base_url + "/v1", api_key="test-key", max_retries=0)
        )


@agentdbg.tool
def lookup(query: str) -> str:
    return f"found {query}"


def _run_steps(client: openai.OpenAI, count: int) -> list[str]:
    answers = []
    for index in range(count):
        response = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"q{index}"}]
        )
        answers.append(response.choices[0].message.content or "")
        lookup(f"q{index}")
    return answers


def test_disk_full_warns_once_and_the_agent_goes_on(
    client: openai.OpenAI, capfd: pytest.CaptureFixture[str]
) -> None:
    # /dev/full fails every write with ENOSPC, exactly like a full disk.
    with agentdbg.trace("full-disk", path="/dev/full"):
        answers = _run_steps(client, 3)
    assert answers == ["still here"] * 3
    err = capfd.readouterr().err
    assert err.count("agentdbg:") == 1 and "No space left on device" in err


def test_trace_writer_reports_enospc_as_oserror() -> None:
    writer = TraceWriter("/dev/full")
    with pytest.raises(OSError) as info:
        writer.write({"type": "span", "id": "x"})
    writer.close()
    assert info.value.errno == 28


def test_file_deleted_mid_run_does_not_disturb_the_agent(
    client: openai.OpenAI, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gone.jsonl"
    with agentdbg.trace("deleted", path=path):
        _run_steps(client, 1)
        path.unlink()
        answers = _run_steps(client, 2)
    assert answers == ["still here"] * 2
    assert "Traceback" not in capfd.readouterr().err


def test_directory_made_read_only_mid_run_keeps_what_was_written(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "run.jsonl"
    try:
        with agentdbg.trace("read-only", path=path):
            _run_steps(client, 1)
            os.chmod(directory, 0o500)
            answers = _run_steps(client, 2)
    finally:
        os.chmod(directory, 0o700)
    assert answers == ["still here"] * 2
    trace = read_trace(path)
    assert trace.problems == []
    assert sum(1 for s in trace.spans if s.kind == "llm" and s.status == "ok") >= 1


def test_handle_closed_underneath_keeps_earlier_steps_readable(
    client: openai.OpenAI, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "closed.jsonl"
    with agentdbg.trace("closed", path=path) as session:
        _run_steps(client, 2)
        os.close(session._writer._fd)  # the handle vanishes (EBADF on every later write)
        session._writer._fd = os.open(os.devnull, os.O_RDONLY)
        answers = _run_steps(client, 2)
    assert answers == ["still here"] * 2
    assert capfd.readouterr().err.count("agentdbg: cannot write trace") == 1
    trace = read_trace(path)
    assert [s.kind for s in trace.spans if s.status == "ok"] == ["llm", "tool", "llm", "tool"]
