"""Every trace-reading command, whole process, against a bare ``orjson`` pass over the same file.

Each command runs in a fresh child (``python -m agentdbg ...``, output to a file), timed by
its own CPU time (user + system, the figure a busy shared machine disturbs least; wall time
is in the row name's baseline) and peak RSS (``wait4``). The baseline is a child that runs
``for line in open(path, "rb"): orjson.loads(line)`` (interpreter start included, as for
the commands). Goals (issue 15): ``show --step`` and ``replay --show-document`` <= 1.5x,
``show --print`` and ``validate`` <= 2x, ``diagnose``/``diff``/``export`` <= 3x; peak RSS
<= 25% of the file plus the interpreter's ~80 MB; ``diagnose``/``diff`` at 100k <= 11x 10k.

Every command runs at every size (200 steps, 10k, 100k, 1 GB). A command still running after
``AGENTDBG_BENCH_COMMAND_LIMIT`` wall seconds (default 600) is stopped and its row says so (its
CPU figure is then a lower bound). ``bench/run.py`` runs this module with its own timeout
(``TIMEOUT``).

    python bench/commands_bench.py [--quick]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen import ensure_trace, write_run, write_until  # noqa: E402

TIMEOUT = 7200  # bench/run.py: this module's own limit (32 commands, each stopped at COMMAND_LIMIT)
ORJSON = "import orjson, sys\nfor line in open(sys.argv[1], 'rb'): orjson.loads(line)\n"
GOALS = {
    "show --step": 1.5,
    "replay --show-document": 1.5,
    "show --print": 2.0,
    "validate": 2.0,
    "diagnose": 3.0,
    "diff A A": 3.0,
    "export -f otlp-json": 3.0,
    "export -f html": 3.0,
}
GOAL_SIZES = ("100k-step", "1 GB")  # the issue sets the ratios on these; smaller files are start-up bound
INDEX_ONLY = ("show --step", "replay --show-document", "show --print", "validate")


COMMAND_LIMIT = float(os.environ.get("AGENTDBG_BENCH_COMMAND_LIMIT", "600"))  # CPU-bound: wall seconds per command


def measure(argv: list[str], env: dict[str, str] | None = None, limit: float | None = None) -> dict[str, float]:
    """Wall, CPU (user + sys) seconds and peak RSS (MB) of one child process (killed after ``limit`` s)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if limit is not None and time.perf_counter() - started > limit and not timed_out:
                child.kill()  # our own child, by pid
                timed_out = True
            time.sleep(0.02)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "rc": child.returncode,
        "timed_out": timed_out,
    }


def commands(path: Path, steps: int, out_dir: Path) -> dict[str, list[str]]:
    agentdbg = [sys.executable, "-m", "agentdbg"]
    middle = max(1, steps // 2)
    return {
        "show --print": [*agentdbg, "show", str(path), "--print"],
        "show --step": [*agentdbg, "show", str(path), "--step", f"step-{middle}", "--print"],
        "validate": [*agentdbg, "validate", str(path)],
        "replay --show-document": [*agentdbg, "replay", str(path), "--from", "last-llm", "--show-document"],
        "export -f otlp-json": [
            *agentdbg,
            "export",
            str(path),
            "-f",
            "otlp-json",
            "-o",
            str(out_dir / "o.json"),
        ],
        "export -f html": [*agentdbg, "export", str(path), "-f", "html", "-o", str(out_dir / "o.html")],
        "diagnose": [*agentdbg, "diagnose", str(path)],
        "diff A A": [*agentdbg, "diff", str(path), str(path)],
    }


def inputs(quick: bool) -> list[tuple[str, Path, int, tuple[str, ...]]]:
    """(label, file, steps, commands to run on it)."""
    every = tuple(GOALS)
    small = ensure_trace("suite_small.jsonl", lambda p: write_run(p, 200, growth=2048))
    if quick:  # CI: the index-only commands on the small file (a few seconds)
        return [("200-step", small, 200, INDEX_ONLY)]
    plans = [("200-step", small, 200, every)]
    plans.append(
        (
            "10k-step",
            ensure_trace("reader_10k.jsonl", lambda p: write_run(p, 10_000, growth=1024, episode=40)),
            10_000,
            every,
        )
    )
    plans.append(
        (
            "100k-step",
            ensure_trace("reader_100k.jsonl", lambda p: write_run(p, 100_000, growth=1024, episode=40)),
            100_000,
            every,
        )
    )
    big = ensure_trace("reader_1g.jsonl", lambda p: write_until(p, 1 << 30, growth=2048, episode=40))
    plans.append(("1 GB", big, 187_000, every))
    return plans


def run(quick: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cpu_of: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        out_dir = Path(scratch)
        for label, path, steps, wanted in inputs(quick):
            size_mb = path.stat().st_size / 1e6
            base = measure([sys.executable, "-c", ORJSON, str(path)])
            name = f"commands.{label} ({size_mb:,.0f} MB)"
            rows.append(
                {
                    "name": f"{name} bare orjson pass (CPU; wall {base['wall']:.2f} s)",
                    "value": round(base["cpu"], 3),
                    "unit": "s",
                    "goal": "baseline",
                    "baseline": None,
                }
            )
            argv = commands(path, steps, out_dir)
            for command in wanted:
                got = measure(argv[command], limit=COMMAND_LIMIT)
                cpu_of[(label, command)] = got["cpu"]
                ratio = got["cpu"] / base["cpu"] if base["cpu"] else None
                failed = f" (exit {got['rc']})" if got["rc"] not in (0, 1) else ""
                if got["timed_out"]:
                    failed = f" (STOPPED after {COMMAND_LIMIT:.0f} s: the value is a lower bound)"
                rows.append(
                    {
                        "name": f"{name} {command} (CPU; wall {got['wall']:.2f} s){failed}",
                        "value": round(got["cpu"], 3),
                        "unit": "s",
                        "goal": f"<= {GOALS[command]}x orjson pass"
                        + ("" if label in GOAL_SIZES else " at 100k/1 GB; info here (interpreter start dominates)"),
                        "baseline": round(base["cpu"], 3),
                        "ratio": f"{ratio:.2f}" if ratio is not None else None,
                    }
                )
                budget = size_mb / 4 + 80
                rows.append(
                    {
                        "name": f"{name} {command} peak RSS",
                        "value": round(got["rss"], 1),
                        "unit": "MB",
                        "goal": f"<= 25% of file + 80 MB ({budget:,.0f} MB)",
                        "baseline": round(size_mb, 1),
                        "ratio": f"{got['rss'] / budget:.2f} of budget",
                    }
                )
            for path_out in out_dir.iterdir():
                path_out.unlink()
    for command in ("diagnose", "diff A A"):
        small, large = cpu_of.get(("10k-step", command)), cpu_of.get(("100k-step", command))
        if small and large:
            rows.append(
                {
                    "name": f"commands.{command}: 100k-step CPU / 10k-step CPU",
                    "value": round(large / small, 2),
                    "unit": "x",
                    "goal": "<= 11x (linear)",
                    "baseline": round(small, 3),
                    "ratio": f"{large / small:.2f}",
                }
            )
    return rows


if __name__ == "__main__":
    from run import table  # noqa: E402

    print(table(run(quick="--quick" in sys.argv)))
