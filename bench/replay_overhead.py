"""How much time does the replay engine add per step, beyond the model's own latency?

Records a tool-calling run against the local FakeLLMServer (real SDK, real HTTP), then
replays it from its first llm step: every tool call is answered from the recording
(``cached``), so the fork re-runs the whole loop. Engine overhead per step =
(replay wall time − time spent inside the SDK calls) / new steps written. The SDK-call
time (HTTP + SDK parsing + the local server) is reported as the baseline.
Cases: a short loop, a long-context loop (10 KB tool results, context grows to ~250 KB),
and copying recorded steps when forking at the end of a 400-step run.

    python bench/replay_overhead.py           # full
    python bench/replay_overhead.py --quick   # smaller runs
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

from agentdbg.model.records import TraceHeader  # noqa: E402
from agentdbg.providers import ToolResult, adapter_for  # noqa: E402
from agentdbg.replay import load_source, replay  # noqa: E402
from agentdbg.store.writer import TraceWriter  # noqa: E402
from agentdbg.testing.llm_server import FakeLLMServer, RecordedRequest, reply, tool_call_reply  # noqa: E402

API = "openai.chat.completions"
TOOLS = [
    {"type": "function", "function": {"name": "search", "parameters": {"type": "object", "properties": {}}}}
]


def _responder(loops: int) -> Any:
    """The model: ``loops`` search calls (one per turn), then a final answer."""

    def answer(request: RecordedRequest) -> Any:
        done = sum(1 for m in request.json.get("messages", []) if m.get("role") == "tool")
        return tool_call_reply("search", {"query": f"q{done}"}) if done < loops else reply("done")

    return answer


def record(path: Path, server: FakeLLMServer, loops: int, result_bytes: int) -> Path:
    """A recorded run of ``loops`` llm+tool turns plus the final answer, written with TraceWriter."""
    adapter = adapter_for(API)
    client = adapter.build_client(server.base_url + "/v1", max_retries=0)
    server.responder = _responder(loops)
    request: dict[str, Any] = {
        "model": "gpt-bench",
        "messages": [{"role": "user", "content": "go"}],
        "tools": TOOLS,
    }
    with TraceWriter(path, overwrite=True) as writer:
        writer.write_header(TraceHeader(trace_id=uuid.uuid4().hex, name="bench"))
        for turn in range(loops + 1):
            sent = adapter.send(client, request)
            now = time.time()
            writer.write(
                {
                    "type": "span", "id": f"l{turn}", "kind": "llm", "name": API, "started_at": now, "ended_at": now,
                    "input": {"provider": "openai", "api": "chat.completions", "request": request},
                    "output": sent.response,
                }
            )  # fmt: skip
            calls = adapter.tool_calls(sent.response)
            if not calls:
                break
            result = ("r" * result_bytes) + calls[0].arguments["query"]
            writer.write(
                {
                    "type": "span", "id": f"t{turn}", "kind": "tool", "name": "search", "started_at": now, "ended_at": now,
                    "input": {"name": "search", "arguments": calls[0].arguments, "call_id": calls[0].call_id},
                    "output": result,
                }
            )  # fmt: skip
            request = adapter.append_turn(request, sent.response, [ToolResult(calls[0], result)])
    server.requests.clear()
    return path


def measure(server: FakeLLMServer, trace_path: Path, start: str, out: Path, repeats: int) -> dict[str, float]:
    """Best-of-``repeats`` engine overhead per new step and SDK time per llm call, in ms."""
    trace = load_source(trace_path)
    best: dict[str, float] | None = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = replay(
            trace, start, output=out, force=True, base_url=server.base_url + "/v1", max_steps=10_000
        )
        wall = time.perf_counter() - started
        assert result.status == "finished", result.error
        new_steps = len(result.steps)
        figures = {
            "overhead_ms_per_step": (wall - result.model_seconds) * 1000 / max(new_steps, 1),
            "sdk_ms_per_call": result.model_seconds * 1000 / max(result.llm_calls, 1),
            "new_steps": new_steps,
            "recorded_steps": int(start.split("-")[-1]) - 1,
            "wall_ms": wall * 1000,
        }
        if best is None or figures["overhead_ms_per_step"] < best["overhead_ms_per_step"]:
            best = figures
    assert best is not None
    return best


def run(quick: bool = False) -> list[dict[str, Any]]:
    """All cases as ``{name, value, unit, goal, baseline}`` rows."""
    os.environ.setdefault("OPENAI_API_KEY", "bench-key")
    rows: list[dict[str, Any]] = []
    short_loops, long_loops, copy_loops = (5, 10, 100) if quick else (10, 25, 200)
    repeats = 2 if quick else 3
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer(seed=1) as server:
        folder = Path(tmp)
        cases = [
            ("short loop", short_loops, 200, "step-1"),
            ("long context (10 KB tool results)", long_loops, 10_000, "step-1"),
        ]
        for label, loops, size, start in cases:
            path = record(folder / f"{loops}-{size}.jsonl", server, loops, size)
            server.responder = _responder(loops)
            figures = measure(server, path, start, folder / "fork.jsonl", repeats)
            rows.append(
                {
                    "name": f"replay engine overhead per step, {label} ({figures['new_steps']} new steps)",
                    "value": round(figures["overhead_ms_per_step"], 3),
                    "unit": "ms/step",
                    "goal": "< 5",
                    "baseline": f"SDK call to local server {figures['sdk_ms_per_call']:.2f} ms/call",
                }
            )
        path = record(folder / "copy.jsonl", server, copy_loops, 500)
        last_llm = 2 * copy_loops + 1
        server.responder = _responder(copy_loops)
        figures = measure(server, path, f"step-{last_llm}", folder / "fork.jsonl", repeats)
        per_recorded = (figures["wall_ms"] - figures["sdk_ms_per_call"]) / figures["recorded_steps"]
        rows.append(
            {
                "name": f"fork at step-{last_llm}: copying {figures['recorded_steps']} recorded steps (context up to the end)",
                "value": round(per_recorded, 3),
                "unit": "ms/recorded step",
                "goal": "< 5",
                "baseline": f"whole replay {figures['wall_ms']:.1f} ms incl. 1 SDK call of {figures['sdk_ms_per_call']:.2f} ms",
            }
        )
    started = time.perf_counter()
    adapter_for(API)._new_client("bench-key", "http://127.0.0.1:9/v1", 2, 600.0)
    rows.append(
        {
            "name": "SDK client construction (once per process; reused by later replays)",
            "value": round((time.perf_counter() - started) * 1000, 1),
            "unit": "ms",
            "goal": "one-off",
            "baseline": "openai.OpenAI(...)",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
