"""How fast does the TUI open big traces? First paint, fully loaded, key latency while loading, peak memory.

Generates 1k / 10k / 100k-step traces (~5 KB a step: the 100k one is ~500 MB) into ``bench/out/``,
then for each size starts a fresh subprocess that opens the app headless (``App.run_test``) and
reports: time to first paint (first rows drawn), time to fully loaded, the slowest key press
answered while the rest was still loading, and peak RSS. The baseline is a bare
``orjson.loads`` pass over the same file in the same run.

    python bench/tui_open.py          # all sizes
    python bench/tui_open.py --quick  # 1k and 10k only
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
GOALS = {"first_paint": 1.0, "key_latency": 0.1, "peak_rss": 600.0}


def _records(steps: int, seed: int = 3) -> Any:
    """An agent run: episodes of 50 steps under an agent span, llm and tool steps alternating, ~5 KB each."""
    rng = random.Random(seed)
    words = [
        "agent",
        "tool",
        "call",
        "result",
        "weather",
        "paris",
        "file",
        "search",
        "query",
        "token",
        "model",
        "context",
        "window",
        "step",
        "retry",
        "error",
        "the",
        "a",
        "of",
        "to",
        "and",
        "in",
    ]
    pool = " ".join(rng.choice(words) for _ in range(200_000))
    clock = 1_700_000_000.0
    yield {
        "type": "trace",
        "schema_version": 1,
        "trace_id": f"bench-{steps}",
        "name": f"bench {steps} steps",
        "started_at": clock,
        "metadata": {},
    }
    written = 0
    episode = 0
    while written < steps:
        episode += 1
        agent = f"a{episode}"
        yield {
            "type": "span_start",
            "id": agent,
            "parent_id": None,
            "kind": "agent",
            "name": f"episode {episode}",
            "started_at": clock,
            "input": {"task": pool[:200]},
        }
        written += 1
        for turn in range(min(49, steps - written)):
            at = rng.randrange(0, len(pool) - 6000)
            sid = f"s{written}"
            if turn % 2 == 0:
                request = {
                    "model": "gpt-4o-mini",
                    "messages": [
                        {"role": "system", "content": pool[at : at + 1500]},
                        {"role": "user", "content": pool[at + 1500 : at + 4000]},
                    ],
                }
                yield {
                    "type": "span",
                    "id": sid,
                    "parent_id": agent,
                    "kind": "llm",
                    "name": "chat gpt-4o-mini",
                    "started_at": clock,
                    "ended_at": clock + 0.8,
                    "input": {"provider": "openai", "api": "chat.completions", "request": request},
                    "output": {
                        "id": f"chatcmpl-{written}",
                        "model": "gpt-4o-mini",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": pool[at + 4000 : at + 4800]},
                                "finish_reason": "stop",
                            }
                        ],
                    },
                    "usage": {"input_tokens": 1000 + turn * 40, "output_tokens": 200},
                    "attributes": {"model": "gpt-4o-mini"},
                }
            else:
                yield {
                    "type": "span",
                    "id": sid,
                    "parent_id": agent,
                    "kind": "tool",
                    "name": "search",
                    "started_at": clock,
                    "ended_at": clock + 0.1,
                    "input": {
                        "name": "search",
                        "arguments": {"query": pool[at : at + 40]},
                        "call_id": f"c{written}",
                    },
                    "output": pool[at + 40 : at + 4040],
                }
            clock += 0.9
            written += 1
        yield {"type": "span_end", "id": agent, "ended_at": clock, "output": "done"}


def ensure_trace(name: str, steps: int) -> Path:
    """``bench/out/tui_<name>.jsonl``, generated once and reused."""
    path = OUT / f"tui_{name}.jsonl"
    if path.exists() and path.stat().st_size > 0:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        for record in _records(steps):
            handle.write(orjson.dumps(record) + b"\n")
    tmp.replace(path)
    return path


def bare_orjson_pass(path: Path) -> float:
    """Seconds to parse every line of ``path`` with orjson and nothing else."""
    start = time.perf_counter()
    with open(path, "rb") as handle:
        for line in handle:
            orjson.loads(line)
    return time.perf_counter() - start


CHILD = r"""
import asyncio, json, resource, sys, time
start = time.perf_counter()
from textual import events
from agentdbg.tui.app import AgentdbgApp
from agentdbg.tui.screens.main import MainScreen

async def main(path):
    app = AgentdbgApp(path)
    marks = {}
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        while not screen.step_tree.view_rows.steps:
            await asyncio.sleep(0.002)
        painted = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: painted.set_result(None))
        await painted
        marks["first_paint"] = time.perf_counter() - start
        marks["first_paint_cpu"] = time.process_time()
        latencies = []
        while not screen.loaded and len(latencies) < 20:
            before = screen.step_tree.cursor
            key_start = time.perf_counter()
            app.post_message(events.Key("j", "j"))  # straight into the queue, like a terminal key
            while screen.step_tree.cursor == before:
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - key_start)
            await asyncio.sleep(0.05)
        while not screen.loaded:
            await asyncio.sleep(0.01)
        marks["loaded"] = time.perf_counter() - start
        marks["steps"] = len(screen.table)
        marks["key_latency"] = max(latencies) if latencies else None
        marks["keys_while_loading"] = len(latencies)
    marks["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(marks))

asyncio.run(main(sys.argv[1]))
"""


def measure(path: Path) -> dict[str, Any]:
    """Open ``path`` in a fresh interpreter and return its marks."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed on {path}: {done.stderr[-2000:]}")
    marks: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return marks


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure every size (1k and 10k only when ``quick``); one row per figure."""
    results: list[dict[str, Any]] = []
    for name, steps in SIZES.items():
        if quick and steps > 10_000:
            continue
        path = ensure_trace(name, steps)
        baseline = bare_orjson_pass(path)
        marks = measure(path)
        size_mb = path.stat().st_size / 1e6
        prefix = f"tui_open.{name} ({size_mb:.0f} MB)"

        def row(
            label: str,
            value: Any,
            unit: str,
            goal: str,
            base: float | None = round(baseline, 3),
            prefix: str = prefix,
        ) -> None:
            results.append(
                {"name": f"{prefix} {label}", "value": value, "unit": unit, "goal": goal, "baseline": base}
            )

        row("first paint (wall)", round(marks["first_paint"], 3), "s", "< 1 s")
        row("first paint (CPU of the process)", round(marks["first_paint_cpu"], 3), "s", "< 1 s")
        row("fully loaded (wall)", round(marks["loaded"], 3), "s", "in the background")
        if marks.get("key_latency") is not None:
            keys = marks["keys_while_loading"]
            row(
                f"slowest key while loading ({keys} keys)",
                round(marks["key_latency"] * 1000, 1),
                "ms",
                "< 100 ms",
                None,
            )
        row("peak memory (RSS)", round(marks["peak_rss"], 1), "MB", "< 600 MB", None)
    load = os.getloadavg()[0]
    results.append(
        {
            "name": "tui_open machine load average (1 min, shared cores)",
            "value": round(load, 2),
            "unit": "",
            "goal": "context",
            "baseline": None,
        }
    )
    return results


def main() -> None:
    quick = "--quick" in sys.argv
    for row in run(quick):
        baseline = f"   (bare orjson pass {row['baseline']} s)" if row["baseline"] is not None else ""
        print(f"{row['name']:<62} {row['value']:>9} {row['unit']:<3} goal {row['goal']}{baseline}")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
