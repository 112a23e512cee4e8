"""How long does importing a long Claude Code session take, and how big is the converted JSONL?

Generates Claude Code transcripts in the real line shape (assistant responses split over one line
per content block sharing ``message.id``; tool results in user lines; ~1 KB of tool output per
call) with 500 / 2,000 / 5,000 API responses into ``bench/out/``, then times ``open_trace``
and ``write_trace``, reporting seconds, peak memory (tracemalloc) and sizes.

    python bench/import_speed.py          # all sizes
    python bench/import_speed.py --quick  # 500 only
"""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
sys.path.insert(0, str(ROOT.parent / "src"))

from agentdbg.importers import open_trace  # noqa: E402
from agentdbg.store.writer import write_trace  # noqa: E402

SIZES = {"500": 500, "2k": 2_000, "5k": 5_000}


def generate(path: Path, responses: int) -> None:
    """A session of ``responses`` API responses, each a text block + a tool_use block (two lines) + a result."""
    base = {
        "isSidechain": False,
        "userType": "external",
        "cwd": "/repo",
        "sessionId": "bench",
        "version": "1.0.98",
        "gitBranch": "main",
    }
    parent = None
    lines = []

    def add(record: dict) -> None:
        nonlocal parent
        record = {"parentUuid": parent, **base, **record}
        parent = record["uuid"]
        lines.append(json.dumps(record))

    add(
        {
            "type": "user",
            "message": {"role": "user", "content": "Fix the failing tests."},
            "uuid": "u0",
            "timestamp": "2025-09-03T00:00:00.000Z",
        }
    )
    for n in range(responses):
        usage = {"input_tokens": 4, "cache_read_input_tokens": 1000 + n * 300, "output_tokens": 120}
        message = {
            "id": f"msg_{n}",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-20250514",
            "usage": usage,
        }
        stamp = f"2025-09-03T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.000Z"
        add(
            {
                "type": "assistant",
                "message": {
                    **message,
                    "content": [{"type": "text", "text": f"Step {n}: looking at the next file."}],
                },
                "requestId": f"req_{n}",
                "uuid": f"a{n}",
                "timestamp": stamp,
            }
        )
        add(
            {
                "type": "assistant",
                "message": {
                    **message,
                    "content": [
                        {
                            "type": "tool_use",
                            "id": f"toolu_{n}",
                            "name": "Read",
                            "input": {"file_path": f"/repo/src/m{n}.py"},
                        }
                    ],
                },
                "requestId": f"req_{n}",
                "uuid": f"b{n}",
                "timestamp": stamp,
            }
        )
        result = "\n".join(f"{i:4}\tline {i} of module {n}" for i in range(40))
        add(
            {
                "type": "user",
                "message": {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": result}],
                },
                "uuid": f"r{n}",
                "timestamp": stamp,
                "toolUseResult": {"numLines": 40},
            }
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(label: str, responses: int) -> dict[str, float]:
    """Import one generated session and write it back as agentdbg JSONL; seconds, memory and sizes."""
    OUT.mkdir(exist_ok=True)
    source = OUT / f"claude_{label}.jsonl"
    generate(source, responses)
    tracemalloc.start()
    started = time.perf_counter()
    trace = open_trace(source)
    imported = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    target = OUT / f"claude_{label}.agentdbg.jsonl"
    started = time.perf_counter()
    write_trace(target, trace, overwrite=True)
    written = time.perf_counter() - started
    return {
        "input_mb": source.stat().st_size / 1e6,
        "steps": len(trace.spans),
        "import_s": imported,
        "peak_mb": peak / 1e6,
        "write_s": written,
        "output_mb": target.stat().st_size / 1e6,
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Suite rows (``bench/run.py``): import and write time of generated Claude Code sessions."""
    rows: list[dict[str, Any]] = []
    for label, responses in ({"500": 500} if quick else SIZES).items():
        figures = measure(label, responses)
        name = f"import claude-code {responses} responses ({figures['input_mb']:.1f} MB, {figures['steps']:,} steps)"
        rows.append(
            {
                "name": f"{name}: import",
                "value": round(figures["import_s"], 3),
                "unit": "s",
                "goal": "info",
                "baseline": None,
            }
        )
        rows.append(
            {
                "name": f"{name}: write agentdbg JSONL",
                "value": round(figures["write_s"], 3),
                "unit": "s",
                "goal": "info",
                "baseline": None,
            }
        )
        rows.append(
            {
                "name": f"{name}: output size",
                "value": round(figures["output_mb"], 2),
                "unit": "MB",
                "goal": "info",
                "baseline": round(figures["input_mb"], 2),
            }
        )
    return rows


def main() -> None:
    OUT.mkdir(exist_ok=True)
    sizes = {"500": 500} if "--quick" in sys.argv else SIZES
    print(
        f"{'responses':>10} {'input':>9} {'steps':>6} {'import s':>9} {'peak MB':>8} {'write s':>8} {'output':>9}"
    )
    for label, responses in sizes.items():
        f = measure(label, responses)
        print(
            f"{responses:>10} {f['input_mb']:>7.1f}MB {f['steps']:>6} {f['import_s']:>9.2f} "
            f"{f['peak_mb']:>8.0f} {f['write_s']:>8.2f} {f['output_mb']:>7.0f}MB"
        )


if __name__ == "__main__":
    main()
