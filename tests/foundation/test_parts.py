"""The optional-parts rule: a missing part skips on a developer's machine and fails under CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = '''
from tests.parts import require_part

def test_needs_missing_part():
    require_part("a-part-nobody-has", False, "apt-get install nothing")

def test_needs_present_part():
    require_part("python", True, "already here")
'''


def _run(tmp_path: Path, required: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "AGENTDBG_REQUIRE_PARTS": required}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-rs", str(probe)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )


def test_missing_part_skips_with_the_install_command_on_a_developer_machine(tmp_path: Path) -> None:
    result = _run(tmp_path, "")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
    assert "a-part-nobody-has is not installed here (apt-get install nothing)" in result.stdout


def test_missing_part_fails_under_ci(tmp_path: Path) -> None:
    result = _run(tmp_path, "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "AGENTDBG_REQUIRE_PARTS=1 requires it" in result.stdout
