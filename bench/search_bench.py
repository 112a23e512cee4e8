"""How fast is ``agentdbg search`` over 10,000 traces, cold (every file read) and warm (cache hits)?

Generates a corpus of mixed runs (healthy, looping, failing tools; OpenAI and Anthropic
formats, ~8 lines each) in a temp folder, then times ``agentdbg.analysis.search.search``:
cold with a process pool, warm from the cache (files only stat'ed), and a text query on
the warm cache. The baseline for cold is a serial scan of the first 1,000 files; for warm,
the cold time.

    python bench/search_bench.py           # 10,000 traces
    python bench/search_bench.py --quick   # 2,000 traces
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT.parent))

from tests.analysis.builders import write_corpus  # noqa: E402

from agentdbg.analysis.search import SearchQuery, search  # noqa: E402


def _timed(roots: list[str], query: SearchQuery, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = search(roots, query, **kwargs)
    return time.perf_counter() - started, result


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Cold and warm search figures as ``{name, value, unit, goal, baseline}`` rows."""
    count = 2_000 if quick else 10_000
    jobs = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["AGENTDBG_CACHE_DIR"] = str(folder / "cache")
        traces = folder / "traces"
        generated = time.perf_counter()
        write_corpus(traces, count)
        generated = time.perf_counter() - generated
        size_mb = sum(path.stat().st_size for path in traces.rglob("*.jsonl")) / 1e6
        sample = sorted(str(path) for path in (traces / "batch-000").glob("*.jsonl"))[:1000]
        serial_seconds, _ = _timed(sample, SearchQuery(finding="loop"), jobs=1, use_cache=False)
        serial_ms = serial_seconds / len(sample) * 1000

        cold_seconds, cold = _timed([str(traces)], SearchQuery(finding="loop"), jobs=jobs)
        assert cold.from_cache == 0 and len(cold.matches) == count // 10, "cold search found the wrong traces"
        warm_seconds, warm = _timed([str(traces)], SearchQuery(tool="get_weather", error=True), jobs=jobs)
        assert warm.from_cache == count and len(warm.matches) == count // 10, (
            "warm search did not use the cache"
        )
        text_seconds, text = _timed([str(traces)], SearchQuery(text=f"ticket-{count - 1}:"), jobs=jobs)
        assert len(text.matches) == 1

        label = f"{count:,} traces, {size_mb:.0f} MB, {jobs} process(es)"
        rows.append(
            {
                "name": f"search cold (no cache, every file read and diagnosed), {label}",
                "value": round(cold_seconds, 2),
                "unit": "s",
                "goal": "< 60 on 2 cores",
                "baseline": f"serial scan {serial_ms:.2f} ms/trace → {serial_ms * count / 1000:.1f} s; corpus written in {generated:.1f} s",
            }
        )
        rows.append(
            {
                "name": f"search warm (cache hit, files only stat'ed), {label}",
                "value": round(warm_seconds, 3),
                "unit": "s",
                "goal": "< 1",
                "baseline": f"cold {cold_seconds:.2f} s ({cold_seconds / warm_seconds:.0f}x slower)",
            }
        )
        rows.append(
            {
                "name": f"search warm --text over every step's text, {label}",
                "value": round(text_seconds, 3),
                "unit": "s",
                "goal": "< 1",
                "baseline": f"cold {cold_seconds:.2f} s",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))
