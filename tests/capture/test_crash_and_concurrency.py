"""Crash safety with a real SIGKILLed process; whole, correctly parented lines under threads and tasks."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import agentdbg
from agentdbg.testing.llm_server import reply

from .conftest import load

AGENT = textwrap.dedent(
    """
    import sys, openai, agentdbg

    client = agentdbg.wrap_openai(openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key="k", max_retries=0))

    @agentdbg.tool
    def search(q: str) -> str:
        return "result for " + q

    with agentdbg.trace("doomed", path=sys.argv[2]):
        with agentdbg.span("agent", kind="agent"):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "step 1"}])
            search("step 2")
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "slow step"}])
    """
)


def test_sigkill_mid_step_leaves_completed_steps_and_one_incomplete(server, tmp_path):
    trace_path = tmp_path / "killed.jsonl"
    script = tmp_path / "agent.py"
    script.write_text(AGENT)
    server.enqueue(reply("fast answer"), reply("never delivered", delay=30))
    proc = subprocess.Popen([sys.executable, str(script), server.base_url, str(trace_path)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if trace_path.exists() and b"slow step" in trace_path.read_bytes():
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the agent never reached its slow step")
        time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    trace = load(trace_path)
    statuses = [(s.kind, s.status) for s in trace.spans]
    assert statuses == [("agent", "incomplete"), ("llm", "ok"), ("tool", "ok"), ("llm", "incomplete")]
    assert trace.spans[1].llm.answer_text == "fast answer"
    assert trace.spans[3].input["request"]["messages"][0]["content"] == "slow step"


def test_eight_threads_and_fifty_tasks_write_whole_lines_with_right_parents(server, oai, aoai, trace_path):
    server.default = reply("concurrent answer with some words to stream", chunk_delay=0.0005)

    @agentdbg.tool
    def lookup(worker: str, n: int) -> str:
        return f"{worker}:{n}"

    def thread_worker(index: int) -> None:
        with agentdbg.span(f"thread-{index}", kind="agent"):
            for n in range(3):
                oai.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"thread-{index}"}]
                )
                lookup(f"thread-{index}", n)

    async def task_worker(index: int) -> None:
        async with agentdbg.span(f"task-{index}", kind="agent"):
            stream = await aoai.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"task-{index}"}], stream=True
            )
            async for _ in stream:
                pass
            lookup(f"task-{index}", 0)

    async def run_tasks() -> None:
        await asyncio.gather(*(task_worker(i) for i in range(50)))

    with agentdbg.trace("busy", path=trace_path):
        threads = [
            threading.Thread(target=agentdbg.carry_context(thread_worker), args=(i,)) for i in range(8)
        ]
        for thread in threads:
            thread.start()
        asyncio.run(run_tasks())
        for thread in threads:
            thread.join()

    lines = trace_path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]  # every line is whole, valid JSON
    assert sum(r["type"] == "span_start" for r in records) == sum(r["type"] == "span_end" for r in records)
    trace = load(trace_path)
    assert len(trace.spans) == 8 * 7 + 50 * 3
    assert all(s.status == "ok" for s in trace.spans)
    by_id = trace.by_id
    for span in trace.spans:
        if span.kind == "llm":
            owner = span.input["request"]["messages"][0]["content"]
        elif span.kind == "tool":
            owner = span.input["arguments"]["worker"]
        else:
            assert span.parent_id is None
            continue
        assert by_id[span.parent_id].name == owner


def test_threads_making_a_fresh_clients_first_calls_at_once_hook_it_once(server, trace_path):
    """A client's set-up (its httpx event hooks) happens once even when threads race to its first call."""
    server.default = reply("first answer")
    switch = sys.getswitchinterval()
    sys.setswitchinterval(
        1e-6
    )  # threads swap as often as they can (without the lock: ~1 round in 20 hooked twice)
    try:
        _race_first_calls(server, trace_path)
    finally:
        sys.setswitchinterval(switch)


def _race_first_calls(server, trace_path) -> None:
    import openai

    for round_number in range(10):  # a fresh client each round: ten chances for the race
        client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="k"))
        start = threading.Barrier(4)

        def first_call(index: int, client=client, start=start) -> None:
            start.wait()
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": f"t{index}"}]
            )

        path = trace_path.with_name(f"race-{round_number}.jsonl")
        with agentdbg.trace("race", path=path):
            threads = [threading.Thread(target=first_call, args=(i,)) for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert len(client._client.event_hooks["request"]) == 1
        steps = [s for s in load(path).spans if s.kind == "llm"]
        assert len(steps) == 4
        assert all(s.attributes["attempt"] == 1 and "retries" not in s.attributes for s in steps)
