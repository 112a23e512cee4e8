"""The one benchmark suite: generate inputs, run every bench module, print one table, write results.md.

Every ``bench/*.py`` module exposing ``run(quick: bool) -> list[dict]`` (rows with
``name, value, unit, goal, baseline`` and optionally ``ratio``) is run in its own
child process, so memory figures are its own and a crash or hang costs only its
rows. Nothing is skipped silently: a module that is missing, has no ``run``,
fails or times out gets a row saying so (and the exit status is 1).

    python bench/run.py            # full suite (< 10 min on 2 cores)
    python bench/run.py --quick    # small inputs only (< 1 min; CI runs this)
    python bench/run.py --only reader_bench size_bench
"""

from __future__ import annotations

import argparse
import ast
import compileall
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from gen import ensure_trace, write_run, write_until  # noqa: E402

# Modules the issues ask for; a missing one is reported, not ignored.
EXPECTED = [
    "reader_bench",
    "size_bench",
    "tui_open",
    "capture_overhead",
    "replay_overhead",
    "search_bench",
    "commands_bench",
]
NOT_BENCHES = {
    "run",
    "gen",
    "export_cli",
}  # export_cli: a standalone A/B tool (CPU per GB written, output hashes)
MARK = "@@bench-rows@@"
CHILD = f"""
import json, os, sys
sys.path.insert(0, sys.argv[3])
module = __import__(sys.argv[1])
rows = module.run(quick=sys.argv[2] == "1")
print({MARK!r} + json.dumps(rows, default=str), flush=True)
os._exit(0)
"""


def generate_inputs(quick: bool) -> list[dict[str, Any]]:
    """The shared generated traces (reused from ``AGENTDBG_BENCH_DIR`` while present); one row each."""
    plans: list[tuple[str, str, Any]] = [
        ("small (200 steps, +2 KB/step)", "suite_small.jsonl", lambda p: write_run(p, 200, growth=2048)),
        ("10k steps", "reader_10k.jsonl", lambda p: write_run(p, 10_000, growth=1024, episode=40)),
    ]
    if not quick:
        plans += [
            ("100k steps", "reader_100k.jsonl", lambda p: write_run(p, 100_000, growth=1024, episode=40)),
            ("1 GB", "reader_1g.jsonl", lambda p: write_until(p, 1 << 30, growth=2048, episode=40)),
        ]
    rows = []
    for label, name, make in plans:
        started = time.perf_counter()
        path = ensure_trace(name, make)
        rows.append(
            {
                "name": f"input: {label} -> {path}",
                "value": round(path.stat().st_size / 1e6, 1),
                "unit": "MB",
                "goal": "input",
                "baseline": f"ready in {time.perf_counter() - started:.1f} s",
            }
        )
    return rows


def has_run(path: Path) -> bool:
    """Whether the module defines a top-level ``run`` function (checked without importing it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef) and node.name == "run" for node in tree.body)


def discover(only: list[str] | None, bench: Path = BENCH, expected: list[str] = EXPECTED) -> list[str]:
    """Expected modules first (present or not), then every other ``*.py`` beside them."""
    found = sorted(p.stem for p in bench.glob("*.py") if p.stem not in NOT_BENCHES)
    names = list(dict.fromkeys(expected + found))
    return [n for n in names if not only or n in only]


def own_timeout(path: Path) -> float | None:
    """A module's ``TIMEOUT = seconds`` (for full runs that need longer than the default), if it sets one."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        named = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "TIMEOUT" for t in node.targets
        )
        if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int | float):
            return float(node.value.value)
    return None


def run_module(
    name: str, quick: bool, timeout: float, bench: Path = BENCH
) -> tuple[list[dict[str, Any]], str, float]:
    """Rows of one module and its status (``ok`` or why not), run in a child process."""
    path = bench / f"{name}.py"
    if not path.exists():
        return [], "MISSING: bench module not written yet", 0.0
    if not has_run(path):
        return [], "NOT RUN: no run(quick) function (standalone script)", 0.0
    if not quick:
        timeout = max(timeout, own_timeout(path) or 0.0)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, name, "1" if quick else "0", str(bench)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=BENCH.parent,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return [], f"TIMEOUT after {timeout:.0f} s", time.perf_counter() - started
    took = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return [], f"FAILED (exit {done.returncode}): {tail[0][:160]}", took
    given = json.loads(lines[-1][len(MARK) :])
    rows: list[dict[str, Any]] = [row for row in given if isinstance(row, dict)]
    if len(rows) != len(given) or not isinstance(
        given, list
    ):  # one module's bad rows must not lose the table
        return rows, f"FAILED: run() returned {len(given) - len(rows)} row(s) that are not dicts", took
    return rows, "ok", took


def ratio_of(row: dict[str, Any]) -> str:
    if row.get("ratio") is not None:
        return f"{row['ratio']}"
    value, base = row.get("value"), row.get("baseline")
    if isinstance(value, int | float) and isinstance(base, int | float) and base:
        return f"{value / base:.2f}"
    return ""


def cell(value: Any) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| benchmark | value | unit | goal | baseline | ratio |", "|---|---:|---|---|---|---:|"]
    for row in rows:
        lines.append(
            "| "
            + " | ".join(
                cell(part)
                for part in (
                    row.get("name"),
                    row.get("value"),
                    row.get("unit"),
                    row.get("goal"),
                    row.get("baseline"),
                    ratio_of(row),
                )
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small inputs only; under a minute")
    parser.add_argument("--only", nargs="*", help="run only these bench modules")
    parser.add_argument(
        "--output", type=Path, default=BENCH / "results.md", help="where to write the markdown table"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    # byte-compile the package first: with PYTHONDONTWRITEBYTECODE set (as on this team's machines) every
    # command would compile its modules on each run, which an installed copy never does
    compileall.compile_dir(str(BENCH.parent / "src"), quiet=1)
    print(f"generating inputs ({'quick' if args.quick else 'full'}) ...", file=sys.stderr, flush=True)
    rows = generate_inputs(args.quick)
    statuses: list[tuple[str, str, float]] = []
    timeout = 120.0 if args.quick else 540.0
    for name in discover(args.only):
        print(f"running {name} ...", file=sys.stderr, flush=True)
        module_rows, status, took = run_module(name, args.quick, timeout)
        statuses.append((name, status, took))
        if status != "ok":
            rows.append({"name": f"{name}", "value": None, "unit": "", "goal": status, "baseline": None})
        rows.extend(module_rows)
    total = time.perf_counter() - started
    load = os.getloadavg()
    header = [
        f"# agentdbg benchmarks ({'--quick' if args.quick else 'full'})",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} / {load[1]:.2f} (shared machine: wall times are noisy), "
        f"Python {sys.version.split()[0]}; whole suite {total:.1f} s.",
        "",
        "| module | status | seconds |",
        "|---|---|---:|",
        *(f"| {name} | {cell(status)} | {took:.1f} |" for name, status, took in statuses),
        "",
        "`ratio` is value / baseline (for memory: RSS / file size, or of the stated budget); each goal sits next to its figure. "
        "Inputs are generated by `bench/gen.py` into `/work/bench-data` (`AGENTDBG_BENCH_DIR`), outside the repository.",
        "",
    ]
    document = "\n".join(header) + table(rows) + "\n"
    args.output.write_text(document, encoding="utf-8")
    print(document)
    print(f"suite took {total:.1f} s; wrote {args.output}", file=sys.stderr)
    broken = [
        name
        for name, status, _ in statuses
        if status.split(":")[0].split(" ")[0] in {"MISSING", "FAILED", "TIMEOUT"}
    ]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
