"""How fast does the MCP server page through a big trace? First page (opens the index), later pages, one step.

Uses the TUI bench's traces (``bench/out/tui_10k.jsonl``, ``tui_100k.jsonl``, ~5 KB a step) and calls the MCP
tools' bodies (``agentdbg.mcp_server.queries.Queries``) as the server does between client calls. Goal: a page
of 50 steps in under 1 s, the first page included.

    python bench/mcp_pages.py          # 10k and 100k steps
    python bench/mcp_pages.py --quick  # 10k only
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tui_open import SIZES, ensure_trace  # noqa: E402

GOAL_PAGE = 1.0


def measure(path: Path) -> dict[str, float]:
    from agentdbg.mcp_server.queries import Queries
    from agentdbg.mcp_server.roots import Roots

    queries = Queries(Roots.of([str(path.parent)]))
    started = time.perf_counter()
    first = queries.list_steps(path.name, limit=50)
    assert len(first["steps"]) == 50
    first_page = time.perf_counter() - started
    started = time.perf_counter()
    total = queries.trace_summary(path.name)["totals"]["steps"]  # reads the rest of the file
    summary = time.perf_counter() - started
    pages = []
    for offset in range(0, total, max(50, total // 20)):
        started = time.perf_counter()
        queries.list_steps(path.name, offset=offset, limit=50)
        pages.append(time.perf_counter() - started)
    started = time.perf_counter()
    queries.list_steps(path.name, kind="llm", status="error", limit=50)
    filtered = time.perf_counter() - started
    started = time.perf_counter()
    queries.get_step(path.name, f"step-{total // 2}")
    one_step = time.perf_counter() - started
    return {
        "first_page": first_page,
        "trace_summary": summary,
        "page_median": statistics.median(pages),
        "page_max": max(pages),
        "filtered_page": filtered,
        "get_step": one_step,
    }


def run(quick: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name in ("10k",) if quick else ("10k", "100k"):
        figures = measure(ensure_trace(name, SIZES[name]))
        for key, value in figures.items():
            goal = "one pass over the file" if key == "trace_summary" else f"< {GOAL_PAGE} s"
            rows.append({"name": f"mcp {key} ({name} steps)", "value": round(value, 4), "unit": "s", "goal": goal, "baseline": None})
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(f"{row['name']:<36} {row['value']:>9.4f} {row['unit']}   goal {row['goal']}")
