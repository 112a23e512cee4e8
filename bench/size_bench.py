"""Trace size against unique content, and what the compact writer costs per call.

An agent re-sends its whole history each step; a plain (schema 1) trace therefore
grows with the square of the run, the compact one (schema 2) with its length.
Figures: file bytes / unique content bytes for both, and ``TraceWriter.write``
time per llm record, compact vs plain (the capture hot path), best of N.

    python bench/size_bench.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import run_records, unique_bytes  # noqa: E402

from agentdbg.store.writer import TraceWriter, encode_record  # noqa: E402


def write_cost(records: list[dict[str, Any]], compact: bool, repeats: int) -> tuple[float, float, int]:
    """Best total seconds for all records and for the llm ones alone, and the file size."""
    best_all = best_llm = float("inf")
    size = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.jsonl"
        for _ in range(repeats):
            llm = 0.0
            started = time.perf_counter()
            with TraceWriter(path, overwrite=True, compact=compact) as writer:
                for record in records:
                    if record.get("kind") == "llm":
                        tick = time.perf_counter()
                        writer.write(record)
                        llm += time.perf_counter() - tick
                    else:
                        writer.write(record)
            best_all = min(best_all, time.perf_counter() - started)
            best_llm = min(best_llm, llm)
            size = path.stat().st_size
    return best_all, best_llm, size


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cases = [(200, 2048, 0)] if quick else [(200, 2048, 0), (1000, 2048, 0), (10_000, 1024, 40)]
    for steps, growth, episode in cases:
        records = list(run_records(steps, growth=growth, episode=episode))
        unique = unique_bytes(steps, growth=growth, episode=episode)
        repeats = 3 if steps <= 1000 else 1
        _, compact_llm, compact_size = write_cost(records, True, repeats)
        _, plain_llm, plain_size = write_cost(records, False, repeats)
        shape = f"{steps}-step run, +{growth // 1024} KB/step" + (
            f", episodes of {episode}" if episode else ""
        )
        rows.append(
            {
                "name": f"size.{shape}: compact trace / unique content",
                "value": round(compact_size / unique, 2),
                "unit": "x",
                "goal": "< 3x",
                "baseline": f"{compact_size:,} B vs {unique:,} B unique",
                "ratio": round(compact_size / unique, 2),
            }
        )
        rows.append(
            {
                "name": f"size.{shape}: plain (schema 1) trace / unique content",
                "value": round(plain_size / unique, 1),
                "unit": "x",
                "goal": "info (what compaction saves)",
                "baseline": f"{plain_size:,} B",
                "ratio": round(plain_size / unique, 1),
            }
        )
        calls = sum(1 for r in records if r.get("kind") == "llm")
        rows.append(
            {
                "name": f"size.{shape}: TraceWriter.write per llm call, compact",
                "value": round(compact_llm / calls * 1e6, 1),
                "unit": "us",
                "goal": "<= plain write (less I/O)",
                "baseline": round(plain_llm / calls * 1e6, 1),
                "ratio": round(compact_llm / plain_llm, 2),
            }
        )
    small = [
        r for r in run_records(400, growth=256, episode=1) if r.get("kind") == "llm"
    ]  # 2-message requests
    _, compact_small, _ = write_cost(small, True, 3)
    _, plain_small, _ = write_cost(small, False, 3)
    rows.append(
        {
            "name": "size.TraceWriter.write per llm call, fresh 2-message requests (worst case for compaction)",
            "value": round(compact_small / len(small) * 1e6, 1),
            "unit": "us",
            "goal": "info (capture overhead goal is 500 us/call)",
            "baseline": round(plain_small / len(small) * 1e6, 1),
            "ratio": round(compact_small / plain_small, 2),
        }
    )
    llm_records = [r for r in run_records(200, growth=2048) if r.get("kind") == "llm"]
    started = time.perf_counter()
    for record in llm_records:
        encode_record(record)
    rows.append(
        {
            "name": "size.encode_record per whole llm request (200-step run)",
            "value": round((time.perf_counter() - started) / len(llm_records) * 1e6, 1),
            "unit": "us",
            "goal": "info (unchanged; compaction happens before it)",
            "baseline": None,
        }
    )
    return rows


def main() -> None:
    for row in run(quick="--quick" in sys.argv):
        ratio = f"  ratio {row['ratio']}" if "ratio" in row else ""
        print(
            f"{row['name']:<78} {row['value']:>10} {row['unit']:<3} goal {row['goal']}  ({row['baseline']}){ratio}"
        )
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
