"""Recording step N of one conversation costs what step 10 does, and the trace reads back exactly as sent.

A request that extends one already written is found by its bytes (``store/body_prefix.py``): only
its new items are parsed, masked, encoded and written, with a ``request_ref`` to the earlier step.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anthropic
import openai
import orjson
import pytest

import agentdbg
from agentdbg.capture import llm as capture_llm
from agentdbg.capture.redact import clean_record
from agentdbg.store import body_prefix, compact, read_indexed, read_trace
from agentdbg.testing.llm_server import FakeLLMServer, reply, tool_call_reply

from .conftest import llm_steps, load

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city, today. " * 20,  # large: written once, referred to after
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def server():
    with FakeLLMServer(seed=7, default=reply("noted")) as running:
        yield running


def turn(step: int) -> list[dict[str, Any]]:
    call_id = f"call_{step}"
    call = {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call_id, "content": f"sunny, {step} C"},
    ]


def history(items: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in every city, please."}]
    step = 0
    while len(messages) < items:
        messages.extend(turn(step))
        step += 1
    return messages[:items]


def as_written(request: Any) -> Any:
    """What the trace must hold for a request the server received: the same, key-shaped strings masked."""
    return clean_record({"input": request}, None)["input"]


class Work:
    """Counts the per-item work capture does: item encodings, whole-request parts, bytes it parses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.encoded = self.whole_requests = self.parsed_bytes = 0
        held, parts = compact._held, compact.request_parts

        def counting_held(value: Any) -> bytes:
            self.encoded += 1
            return held(value)

        def counting_parts(request: Any, memo: Any = None) -> Any:
            self.whole_requests += 1
            return parts(request, memo)

        class CountingOrjson:
            JSONDecodeError = orjson.JSONDecodeError

            @staticmethod
            def loads(data: Any) -> Any:
                self.parsed_bytes += len(data)
                return orjson.loads(data)

        monkeypatch.setattr(compact, "_held", counting_held)
        monkeypatch.setattr(body_prefix, "_held", counting_held)
        monkeypatch.setattr(compact, "request_parts", counting_parts)
        monkeypatch.setattr(capture_llm, "orjson", CountingOrjson)
        monkeypatch.setattr(body_prefix, "orjson", CountingOrjson)

    def reset(self) -> tuple[int, int, int]:
        counts = (self.encoded, self.whole_requests, self.parsed_bytes)
        self.encoded = self.whole_requests = self.parsed_bytes = 0
        return counts


def test_per_step_work_does_not_grow_with_history(
    oai: openai.OpenAI, server: FakeLLMServer, trace_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = Work(monkeypatch)
    per_step = {}
    with agentdbg.trace("grows", path=trace_path):
        for items in (10, 1000):
            messages = history(items)
            oai.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)  # read whole
            work.reset()
            for step in range(3):
                messages.extend(turn(10_000 + items + step))
                oai.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
            per_step[items] = work.reset()
    # three steps of two new items each: six item encodings, no whole request, only the new items
    # and the (small) answers parsed; the answers' token counts differ by a few digits
    assert per_step[10][:2] == per_step[1000][:2] == (6, 0)
    assert per_step[10][2] < 3 * 1000 and abs(per_step[1000][2] - per_step[10][2]) < 32
    whole = len(server.requests[-1].body)
    assert whole > 100 * per_step[1000][2] / 3  # a request is 100 times what is read of it per step
    trace = load(trace_path)
    sent = [as_written(r.json) for r in server.requests]
    assert [span.input["request"] for span in llm_steps(trace)] == sent


def _mixed_conversation(oai: openai.OpenAI, server: FakeLLMServer) -> None:
    """A tool loop with the usual breaks: trimmed history, a retry, a key in a new message, a changed param."""
    messages = history(3)
    for step in range(90):
        server.enqueue(tool_call_reply("get_weather", {}, call_id=f"call_{step}"))
        temperature = 0.2 if step < 70 else 0.9  # the bytes after the history change: read whole once
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, temperature=temperature
        )
        if step == 30:
            oai.chat.completions.create(
                model="gpt-4o-mini", messages=messages, tools=TOOLS, temperature=temperature
            )
        if step == 40:
            del messages[1:9]  # context trimmed: the history no longer extends the last request
        messages.extend(turn(step))
        if step == 50:
            messages.append({"role": "user", "content": "use my key sk-proj-" + "Q7w8E9r0T1y2U3i4O5p6" * 2})


def test_long_conversation_reads_back_exactly_as_sent(
    oai: openai.OpenAI, server: FakeLLMServer, trace_path: Path
) -> None:
    with agentdbg.trace("long", path=trace_path):
        _mixed_conversation(oai, server)
    sent = [as_written(r.json) for r in server.requests]
    assert len(sent) == 91
    for trace in (load(trace_path), read_indexed(trace_path)):
        assert [span.input["request"] for span in llm_steps(trace)] == sent
    # each answer's tool call is paired with the result the next request carries (derived tool steps)
    derived = [span.input["call_id"] for span in load(trace_path).spans if span.kind == "tool"]
    assert derived == [f"call_{step}" for step in range(89)]
    text = trace_path.read_text()
    assert "Q7w8E9r0T1y2U3i4O5p6" not in text and "[REDACTED]" in text
    starts = [json.loads(line) for line in text.splitlines() if '"span_start"' in line and '"llm"' in line]
    compact_starts = [s for s in starts if "request_ref" in s]
    assert len(compact_starts) >= 85  # all but the first, the trimmed one and the changed one
    written = [len(s["input"]["request"]["messages"] or ()) for s in compact_starts]
    assert sum(count > 3 for count in written) <= 2  # only where the history was trimmed or a param changed
    assert all(s["input"]["request"]["tools"] is None for s in compact_starts)  # the tools list: written once


def test_anthropic_conversation_with_a_long_system_prompt(
    ant: anthropic.Anthropic, server: FakeLLMServer, trace_path: Path
) -> None:
    system = "You are a careful assistant. " * 40
    messages: list[dict[str, Any]] = [{"role": "user", "content": "hello"}]
    with agentdbg.trace("anthropic", path=trace_path):
        for step in range(25):
            if step % 2:
                with ant.messages.stream(
                    model="claude-x", max_tokens=50, system=system, messages=messages
                ) as s:
                    s.get_final_message()
            else:
                ant.messages.create(model="claude-x", max_tokens=50, system=system, messages=messages)
            messages.append({"role": "assistant", "content": f"answer {step}"})
            messages.append({"role": "user", "content": f"question {step}"})
    sent = [as_written(r.json) for r in server.requests]
    assert [span.input["request"] for span in llm_steps(load(trace_path))] == sent
    starts = [json.loads(line) for line in trace_path.read_text().splitlines() if '"request_ref"' in line]
    assert len(starts) == 24 and all(s["input"]["request"]["system"] is None for s in starts)


def test_async_responses_api_conversation(
    aoai: openai.AsyncOpenAI, server: FakeLLMServer, trace_path: Path
) -> None:
    import asyncio

    async def run() -> None:
        items: list[dict[str, Any]] = [{"role": "user", "content": "start"}]
        for step in range(20):
            await aoai.responses.create(model="gpt-4o", input=items, instructions="Be brief. " * 40)
            items.append({"role": "assistant", "content": f"step {step}"})
            items.append({"role": "user", "content": f"next {step}"})

    with agentdbg.trace("responses", path=trace_path):
        asyncio.run(run())
    sent = [as_written(r.json) for r in server.requests]
    assert [span.input["request"] for span in llm_steps(load(trace_path))] == sent
    assert trace_path.read_text().count('"request_ref"') == 19


def test_a_user_redactor_runs_once_on_each_new_item(
    oai: openai.OpenAI, server: FakeLLMServer, trace_path: Path
) -> None:
    def tag(text: str) -> str:
        return text.replace("Paris", "[CITY]")

    messages = history(5)
    with agentdbg.trace("redacted", path=trace_path, redact=tag):
        for step in range(10):
            oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
            messages.append({"role": "user", "content": f"and Paris {step}?"})
    requests = [span.input["request"] for span in llm_steps(load(trace_path))]
    assert requests[-1]["messages"][-1]["content"] == "and [CITY] 8?"
    assert [m["content"] for m in requests[-1]["messages"][5:]] == [f"and [CITY] {n}?" for n in range(9)]
    assert "Paris" not in trace_path.read_text()


DRIVER = """
import sys
from typing import Any
import agentdbg, openai
from agentdbg.testing.llm_server import FakeLLMServer, reply
{functions}
with FakeLLMServer(default=reply("ok " * 20, chunk_delay=0.0002)) as server:
    client = agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key="k", max_retries=0))
    messages = history(3)
    with agentdbg.trace("killed", path=sys.argv[1]):
        for step in range(100_000):
            if step % 3:
                for _ in client.chat.completions.create(model="m", messages=messages, stream=True):
                    pass
            else:
                client.chat.completions.create(model="m", messages=messages)
            messages.extend(turn(step))
"""


def test_killed_while_recording_a_long_conversation(tmp_path: Path) -> None:
    """SIGKILL at random moments: every step written reads back with its whole history; only the last line may tear."""
    driver = DRIVER.format(functions=inspect.getsource(turn) + inspect.getsource(history))
    for run, delay in enumerate((0.4, 0.9, 1.3, 1.7, 2.2)):
        path = tmp_path / f"run-{run}.jsonl"
        child = subprocess.Popen(
            [sys.executable, "-c", driver, str(path)],
            env={**os.environ, "AGENTDBG_DIR": str(tmp_path / "auto")},
        )
        deadline = time.time() + 60
        while (not path.exists() or path.stat().st_size < 4096) and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        trace = read_trace(path)
        for problem in trace.problems:
            assert problem.severity == "warning" and "truncated last line" in problem.message, (path, problem)
        steps = llm_steps(trace)
        assert len(steps) > 5
        for number, span in enumerate(steps):
            assert span.input["request"]["messages"] == history(3) + [
                m for s in range(number) for m in turn(s)
            ]


def test_conversations_recorded_at_once_from_threads(
    oai: openai.OpenAI, server: FakeLLMServer, trace_path: Path
) -> None:
    """Four agents in threads, each its own growing conversation and two sharing a start: each reads back."""
    import threading

    def agent(name: str, shared_start: bool) -> None:
        messages = history(5) if shared_start else [{"role": "user", "content": f"I am {name}"}]
        for step in range(25):
            oai.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
            messages.extend(turn(step) + [{"role": "user", "content": f"{name} {step}"}])

    with agentdbg.trace("threads", path=trace_path):
        threads = [
            threading.Thread(target=agentdbg.carry_context(agent), args=(f"agent-{n}", n < 2))
            for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    sent = sorted(orjson.dumps(as_written(r.json)) for r in server.requests)
    trace = load(trace_path)
    assert len(sent) == 100 and len(set(sent)) == 99  # the two shared starts are the same request
    assert sorted(orjson.dumps(span.input["request"]) for span in llm_steps(trace)) == sent
    assert trace_path.read_text().count('"request_ref"') >= 90


def test_derived_tool_steps_go_out_with_the_llm_start_in_one_write(
    oai: openai.OpenAI, server: FakeLLMServer, trace_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request extending the last one that carries a tool result: the tool step and the llm start are one write()."""
    from agentdbg.store import writer as writer_module

    writes: list[bytes] = []
    real_write = os.write

    class CountingOs:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def write(fd: int, data: bytes) -> int:
            writes.append(bytes(data))
            return real_write(fd, data)

    messages = history(5)
    with agentdbg.trace("one-write", path=trace_path):
        for step in range(4):
            server.enqueue(tool_call_reply("get_weather", {}, call_id=f"call_{step}"))
            if step == 2:
                monkeypatch.setattr(writer_module, "os", CountingOs())
            oai.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
            messages.extend(turn(step))
            messages[-2]["tool_calls"][0]["id"] = messages[-1]["tool_call_id"] = f"call_{step}"
    lines = [line.split(b"\n")[:-1] for line in writes]
    assert [[json.loads(x)["type"] for x in chunk] for chunk in lines[:2]] == [
        ["span", "span_start"],
        ["span_end"],
    ]
    trace = load(trace_path)
    derived = [span.input["call_id"] for span in trace.spans if span.kind == "tool"]
    assert derived == ["call_0", "call_1", "call_2"]
    assert [span.input["request"] for span in llm_steps(trace)] == [
        as_written(r.json) for r in server.requests
    ]
