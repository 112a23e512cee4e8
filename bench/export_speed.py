"""How long do ``agentdbg export --format otlp-json|html`` take, and how big are the files they write?

Generates agent runs (episodes of 25 llm+tool steps whose history grows ~2 KB a step, as capture
writes them) of 500 / 2,000 / 5,000 llm calls into ``bench/out/``, loads each with ``open_trace``
and times each exporter (render + write), reporting seconds and output size relative to the input.

    python bench/export_speed.py          # all sizes
    python bench/export_speed.py --quick  # 500 only
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
sys.path.insert(0, str(ROOT.parent / "src"))

from agentdbg.exporters import export_trace  # noqa: E402
from agentdbg.importers import open_trace  # noqa: E402

SIZES = {"500": 500, "2k": 2_000, "5k": 5_000}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "search", "description": "Search", "parameters": {"type": "object"}},
    }
]


def _records(llm_calls: int, episode: int = 25, seed: int = 5) -> list[dict[str, Any]]:
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
        "step",
        "retry",
        "error",
    ]

    def text(size: int) -> str:
        out: list[str] = []
        while sum(len(w) + 1 for w in out) < size:
            out.append(rng.choice(words))
        return " ".join(out)

    clock, records, messages, agent = 1_700_000_000.0, [], [], ""
    records.append(
        {
            "type": "trace",
            "schema_version": 1,
            "trace_id": f"export-bench-{llm_calls}",
            "name": "bench",
            "started_at": clock,
        }
    )
    for n in range(llm_calls):
        if n % episode == 0:
            if agent:
                records.append({"type": "span_end", "id": agent, "ended_at": clock})
            agent = f"agent-{n}"
            records.append(
                {"type": "span_start", "id": agent, "kind": "agent", "name": "agent", "started_at": clock}
            )
            messages = [{"role": "system", "content": text(800)}, {"role": "user", "content": text(400)}]
        call_id = f"call_{n}"
        assistant = {
            "role": "assistant",
            "content": text(500),
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "search", "arguments": json.dumps({"q": text(200)})},
                }
            ],
        }
        request = {"model": "gpt-4o-mini", "messages": list(messages), "tools": TOOLS}
        response = {
            "id": f"c{n}",
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": assistant, "finish_reason": "tool_calls"}],
        }
        records.append(
            {"type": "span", "id": f"llm-{n}", "parent_id": agent, "kind": "llm", "name": "chat", "started_at": clock, "ended_at": clock + 0.8,
             "input": {"provider": "openai", "api": "chat.completions", "request": request}, "output": response,
             "usage": {"input_tokens": 100 + n % episode * 500, "output_tokens": 120}}
        )  # fmt: skip
        result = text(1300)
        records.append(
            {"type": "span", "id": f"tool-{n}", "parent_id": agent, "kind": "tool", "name": "search", "started_at": clock + 0.8,
             "ended_at": clock + 0.9, "input": {"name": "search", "arguments": {"q": "x"}, "call_id": call_id}, "output": result}
        )  # fmt: skip
        messages += [assistant, {"role": "tool", "tool_call_id": call_id, "content": result}]
        clock += 1.0
    records.append({"type": "span_end", "id": agent, "ended_at": clock})
    return records


def _ensure(name: str, llm_calls: int) -> Path:
    path = OUT / f"export_{name}.jsonl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in _records(llm_calls)), encoding="utf-8")
    return path


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Suite rows (``bench/run.py``): export time and size for OTLP JSON and HTML."""
    rows: list[dict[str, Any]] = []
    for name, llm_calls in ({"500": SIZES["500"]} if quick else SIZES).items():
        path = _ensure(name, llm_calls)
        trace = open_trace(path)
        size_in = path.stat().st_size / 1e6
        for format, suffix in (("otlp-json", ".otlp.json"), ("html", ".html")):
            started = time.perf_counter()
            out = export_trace(trace, format, OUT / f"export_{name}{suffix}")
            took = time.perf_counter() - started
            label = f"export {format}, {len(trace.spans):,} steps ({size_in:.1f} MB)"
            rows.append(
                {"name": label, "value": round(took, 3), "unit": "s", "goal": "info", "baseline": None}
            )
            rows.append(
                {
                    "name": f"{label} output size",
                    "value": round(out.stat().st_size / 1e6, 2),
                    "unit": "MB",
                    "goal": "info",
                    "baseline": round(size_in, 2),
                }
            )
    return rows


def main() -> None:
    sizes = {"500": SIZES["500"]} if "--quick" in sys.argv else SIZES
    print(
        f"{'trace':>6} {'steps':>6} {'input MB':>9} {'load s':>7} {'format':>9} {'export s':>9} {'output MB':>10} {'x input':>8}"
    )
    for name, llm_calls in sizes.items():
        path = _ensure(name, llm_calls)
        started = time.perf_counter()
        trace = open_trace(path)
        load = time.perf_counter() - started
        size_in = path.stat().st_size / 1e6
        for format, suffix in (("otlp-json", ".otlp.json"), ("html", ".html")):
            started = time.perf_counter()
            out = export_trace(trace, format, OUT / f"export_{name}{suffix}")
            took = time.perf_counter() - started
            size_out = out.stat().st_size / 1e6
            print(
                f"{name:>6} {len(trace.spans):>6} {size_in:>9.1f} {load:>7.2f} {format:>9} {took:>9.2f} {size_out:>10.1f} {size_out / size_in:>8.2f}"
            )


if __name__ == "__main__":
    main()
