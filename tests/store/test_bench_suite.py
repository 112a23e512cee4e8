"""bench/run.py reports every module: rows of the good ones, and why the others gave none."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import run as suite  # noqa: E402

GOOD = """
def run(quick):
    return [{"name": "answer", "value": 84 if not quick else 42, "unit": "s", "goal": "< 50", "baseline": 21}]
"""
BROKEN = """
def run(quick):
    raise RuntimeError("the bench fell over")
"""
SCRIPT = """
print("a standalone script with no run()")
"""
HANGS = """
import time
def run(quick):
    time.sleep(30)
"""


def test_every_module_gets_a_row_or_a_reason(tmp_path: Path) -> None:
    for name, text in {"good": GOOD, "broken": BROKEN, "script": SCRIPT, "hangs": HANGS}.items():
        (tmp_path / f"{name}.py").write_text(text)
    names = suite.discover(None, tmp_path, expected=["good", "missing"])
    assert names == ["good", "missing", "broken", "hangs", "script"]
    results = {name: suite.run_module(name, True, timeout=5, bench=tmp_path) for name in names}
    rows, status, _ = results["good"]
    assert status == "ok" and rows == [
        {"name": "answer", "value": 42, "unit": "s", "goal": "< 50", "baseline": 21}
    ]
    assert results["missing"][1].startswith("MISSING")
    assert results["broken"][1].startswith("FAILED") and "the bench fell over" in results["broken"][1]
    assert results["script"][1].startswith("NOT RUN")
    assert results["hangs"][1].startswith("TIMEOUT")
    table = suite.table(rows)
    assert "| answer | 42 | s | < 50 | 21 | 2.00 |" in table
