"""Trace generators for the benchmarks: agent runs whose context grows every step.

Each step is what capture writes for a tool-calling agent: an ``llm`` span whose
request holds the whole history so far (plus the tool list), its response, and
a ``tool`` span with the result; the history then grows by the assistant turn
and the tool result (``growth`` bytes a step). Long runs are cut into episodes
(the agent starts a new conversation) so a 1 GB file has realistic line sizes.
Output is deterministic for a given seed. Other benches import ``ensure_trace``.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent
# Generated inputs live outside the repository (1 GB files); AGENTDBG_BENCH_DIR moves them.
OUT = Path(os.environ.get("AGENTDBG_BENCH_DIR", "/work/bench-data"))
sys.path.insert(0, str(ROOT.parent / "src"))

from agentdbg.model.records import TraceHeader  # noqa: E402
from agentdbg.store.writer import TraceWriter  # noqa: E402

_WORDS = (  # noqa: SIM905 - a sentence reads better than a list
    "agent tool call result weather paris london file search query token model context window step retry error "
    "success the a of to and in is it that for on with as was at by be this from or have an they which one you "
    "were all we can her has there been if more when will would who so no"
).split()

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": f"{name}: " + " ".join(_WORDS[i : i + 30]),
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    }
    for i, name in enumerate(["search", "read_file", "get_weather", "run_tests"])
]


class TextPool:
    """Cheap deterministic pseudo-text: slices of one long random word string."""

    def __init__(self, seed: int, size: int = 1 << 20) -> None:
        rng = random.Random(seed)
        self.rng = rng
        words: list[str] = []
        length = 0
        while length < size:
            word = rng.choice(_WORDS)
            words.append(word)
            length += len(word) + 1
        self.text = " ".join(words)

    def take(self, size: int) -> str:
        start = self.rng.randrange(0, len(self.text) - size - 1)
        return self.text[start : start + size]


def run_records(
    steps: int, *, growth: int = 2048, episode: int = 0, seed: int = 7, with_tools: bool = True
) -> Iterator[dict[str, Any]]:
    """The span records of an agent run of ``steps`` llm calls (episodes of ``episode`` steps; 0 = one)."""
    pool = TextPool(seed)
    clock = 1_700_000_000.0
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"s{seed:x}{counter:09d}"

    agent_id = ""
    messages: list[dict[str, Any]] = []
    for step in range(steps):
        if step == 0 or (episode and step % episode == 0):
            if agent_id:
                yield {"type": "span_end", "id": agent_id, "ended_at": clock, "output": "done"}
            agent_id = new_id()
            yield {
                "type": "span_start",
                "id": agent_id,
                "parent_id": None,
                "kind": "agent",
                "name": "agent",
                "started_at": clock,
                "input": {"task": pool.take(200)},
            }
            messages = [
                {"role": "system", "content": "You are a careful agent. " + pool.take(800)},
                {"role": "user", "content": pool.take(400)},
            ]
        llm_id, call_id = new_id(), f"call_{counter}"
        request = {"model": "gpt-4o-mini", "messages": list(messages), "temperature": 0.2}
        if with_tools:
            request["tools"] = TOOLS
        yield {
            "type": "span_start",
            "id": llm_id,
            "parent_id": agent_id,
            "kind": "llm",
            "name": "chat.completions.create",
            "started_at": clock,
            "input": {"provider": "openai", "api": "chat.completions", "request": request},
            "attributes": {"model": "gpt-4o-mini", "stream": False},
        }
        arguments = orjson.dumps({"query": pool.take(max(16, growth // 8))}).decode()
        assistant = {
            "role": "assistant",
            "content": pool.take(growth // 4),
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "search", "arguments": arguments}}
            ],
        }
        tokens_in = sum(len(str(m.get("content", ""))) for m in messages) // 4
        clock += 0.8
        yield {
            "type": "span_end",
            "id": llm_id,
            "ended_at": clock,
            "output": {
                "id": f"chatcmpl-{counter}",
                "object": "chat.completion",
                "created": int(clock),
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": assistant, "finish_reason": "tool_calls"}],
                "usage": {
                    "prompt_tokens": tokens_in,
                    "completion_tokens": growth // 16,
                    "total_tokens": tokens_in + growth // 16,
                },
            },
            "usage": {
                "input_tokens": tokens_in,
                "output_tokens": growth // 16,
                "total_tokens": tokens_in + growth // 16,
            },
            "attributes": {"finish_reason": "tool_calls", "ttft": 0.21},
        }
        result = pool.take(growth - growth // 4 - growth // 8)
        tool_id = new_id()
        yield {
            "type": "span_start",
            "id": tool_id,
            "parent_id": agent_id,
            "kind": "tool",
            "name": "search",
            "started_at": clock,
            "input": {"name": "search", "arguments": {"query": arguments}, "call_id": call_id},
        }
        clock += 0.1
        yield {"type": "span_end", "id": tool_id, "ended_at": clock, "output": result}
        messages.append(assistant)
        messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
    if agent_id:
        yield {"type": "span_end", "id": agent_id, "ended_at": clock, "output": "done"}


def write_run(path: Path, steps: int, *, compact: bool = True, **options: Any) -> Path:
    """Write a generated run to ``path`` (overwriting) with the real ``TraceWriter``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with TraceWriter(path, overwrite=True, compact=compact) as writer:
        writer.write_header(
            TraceHeader(trace_id=f"bench-{steps}", name=path.stem, started_at=1_700_000_000.0)
        )
        for record in run_records(steps, **options):
            writer.write(record)
    return path


def write_until(
    path: Path, target_bytes: int, *, compact: bool = True, episode: int = 40, growth: int = 2048
) -> Path:
    """Write episodes of a run until the file reaches ``target_bytes`` (the 1 GB input)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = 1
    with TraceWriter(path, overwrite=True, compact=compact) as writer:
        writer.write_header(TraceHeader(trace_id="bench-big", name=path.stem, started_at=1_700_000_000.0))
        while os.fstat(writer._fd).st_size < target_bytes:  # type: ignore[arg-type]
            for record in run_records(episode * 25, growth=growth, episode=episode, seed=seed):
                writer.write(record)
            seed += 1
    return path


def ensure_trace(name: str, make: Any) -> Path:
    """``OUT/<name>``, generated once by ``make(path)`` and reused while present."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / name
    if not path.exists() or path.stat().st_size == 0:
        tmp = path.with_suffix(".tmp")
        make(tmp)
        tmp.replace(path)
    return path


def unique_bytes(steps: int, **options: Any) -> int:
    """Bytes of content the run holds once: every record with requests cut to their new messages."""
    seen_messages = 0
    total = 0
    for record in run_records(steps, **options):
        request = (record.get("input") or {}).get("request") if record.get("kind") == "llm" else None
        if isinstance(request, dict):
            messages = request["messages"]
            fresh = messages[seen_messages:] if len(messages) >= seen_messages else messages
            seen_messages = len(messages)
            stripped = {**request, "messages": fresh}
            stripped.pop("tools", None)
            record = {**record, "input": {**record["input"], "request": stripped}}
        total += len(orjson.dumps(record)) + 1
    return total + len(orjson.dumps(TOOLS))
