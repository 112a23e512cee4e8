"""Secret masking cost on the write path: mask_secret_bytes over realistic trace lines.

Every line the writer writes goes through ``mask_secret_bytes`` (and capture decides with
``has_secret_bytes`` first), so its cost is part of the capture overhead. Run:
``python bench/mask_speed.py`` (add ``--quick`` for a short run).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from agentdbg.secrets import has_secret_bytes, mask_secret_bytes, register_secret


def _lines() -> dict[str, bytes]:
    chat = {
        "type": "span_start",
        "id": "abc",
        "kind": "llm",
        "input": {
            "provider": "openai",
            "api": "chat.completions",
            "request": {
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "Find the weather in Paris and see https://example.com/a?q=1&page=2 " * 20},
                    {"role": "assistant", "content": "Calling the tool with token=abc and key=value " * 20},
                ],
            },
        },
    }
    big = {**chat, "input": {**chat["input"], "request": {**chat["input"]["request"], "messages": chat["input"]["request"]["messages"] * 100}}}
    return {
        "small (200 B)": json.dumps({"type": "span_end", "id": "abc", "ended_at": 1.0, "output": "found it"}).encode(),
        "chat (3 KB)": json.dumps(chat).encode(),
        "long chat (300 KB)": json.dumps(big).encode(),
    }


def measure(quick: bool = False) -> dict[str, float]:
    """Microseconds per line for each shape, with a registered client key."""
    register_secret("corp-gateway-token-0123456789")
    figures = {}
    for name, line in _lines().items():
        repeat = max(3, (200 if quick else 2000) * 3000 // len(line))
        started = time.perf_counter()
        for _ in range(repeat):
            if has_secret_bytes(line):
                mask_secret_bytes(line)
        figures[name] = (time.perf_counter() - started) / repeat * 1e6
    return figures


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Rows for ``bench/run.py``: masking cost per line shape (no goal of its own: part of capture's 0.5 ms)."""
    return [
        {"name": f"mask {shape}", "value": round(micros, 1), "unit": "us/line", "goal": "info (inside capture's budget)", "baseline": None}
        for shape, micros in measure(quick).items()
    ]


if __name__ == "__main__":
    for shape, micros in measure("--quick" in sys.argv).items():
        print(f"{shape:20s} {micros:10.1f} µs/line")
