"""Derived tool steps stay linear: the cost of pairing tool calls with their results as a run grows.

A framework agent's tool loop re-sends its whole history on every call, so reading every
request in full would make a run of N calls cost N^2. The ledger reads only the tail of each
request (from its last assistant turn). This measures both users of the one mechanism:

- capture: ``TraceSession.derive_tool_steps`` per llm call, at history length 10 and 1000
  messages (the per-call cost must not grow with the history);
- importers: ``with_derived_tool_steps`` over a whole run of N and 10*N llm steps (must grow ~10x).

    python bench/derived_tools.py          # 200 / 2000 steps
    python bench/derived_tools.py --quick  # 50 / 500 steps
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))

from agentdbg.capture.session import TraceSession  # noqa: E402
from agentdbg.model.derived_tools import with_derived_tool_steps  # noqa: E402
from agentdbg.model.span import Span  # noqa: E402


def _history(turns: int) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Weather in Paris? " * 20}]
    for n in range(turns):
        call = {
            "id": f"call_{n}",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"call_{n}", "content": "sunny " * 30})
    return messages


def _answer(n: int) -> dict[str, Any]:
    call = {
        "id": f"call_{n}",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    return {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]}}]
    }


def capture_per_call_us(history_turns: int, calls: int = 200) -> float:
    """Median microseconds of one ``derive_tool_steps`` call that pairs one result, at this history length."""
    history = _history(history_turns)
    timings = []
    with tempfile.TemporaryDirectory() as folder:
        session = TraceSession("bench", Path(folder) / "t.jsonl")
        try:
            for n in range(calls):
                last = history_turns - 1
                session.offer_tool_calls([("get_weather", {"city": "Paris"}, f"call_{last}")], None, None)
                request = {"model": "m", "messages": history}
                started = time.perf_counter()
                session.derive_tool_steps("openai.chat.completions", request, time.time())
                timings.append(time.perf_counter() - started)
                session._tool_ledger._answered.discard(f"call_{last}")  # the next round pairs it again
                del n
        finally:
            session.close()
    return statistics.median(timings) * 1e6


def importer_run_s(steps: int) -> float:
    """Seconds of ``with_derived_tool_steps`` over a run of ``steps`` llm steps, each re-sending its history."""
    full = _history(steps)
    spans = []
    for n in range(steps):
        request = {"model": "m", "messages": full[: 1 + 2 * n]}
        spans.append(
            Span(
                id=f"s{n}",
                kind="llm",
                step=n + 1,
                started_at=float(n),
                ended_at=n + 0.5,
                ended=True,
                input={"provider": "openai", "api": "chat.completions", "request": request},
                output=_answer(n),
            )
        )
    started = time.perf_counter()
    derived = with_derived_tool_steps(spans)
    elapsed = time.perf_counter() - started
    assert sum(1 for span in derived if span.kind == "tool") == steps - 1
    return elapsed


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Suite rows (``bench/run.py``)."""
    small, big = (50, 500) if quick else (200, 2000)
    short, long = capture_per_call_us(10), capture_per_call_us(1000)
    importer_small, importer_big = importer_run_s(small), importer_run_s(big)
    return [
        {
            "name": "derive tool steps in capture, per call (10-turn history)",
            "value": round(short, 1),
            "unit": "us",
            "goal": "info",
            "baseline": None,
        },
        {
            "name": "derive tool steps in capture, per call (1000-turn history)",
            "value": round(long, 1),
            "unit": "us",
            "goal": "info",
            "baseline": round(short, 1),
        },
        {
            "name": f"derive tool steps on import, {small} llm steps",
            "value": round(importer_small, 3),
            "unit": "s",
            "goal": "info",
            "baseline": None,
        },
        {
            "name": f"derive tool steps on import, {big} llm steps (10x)",
            "value": round(importer_big, 3),
            "unit": "s",
            "goal": "info",
            "baseline": round(importer_small, 3),
        },
    ]


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(
            f"{row['name']}: {row['value']} {row['unit']}"
            + (f" (vs {row['baseline']})" if row["baseline"] is not None else "")
        )
