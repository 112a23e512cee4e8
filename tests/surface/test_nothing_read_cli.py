"""show and export on a known-format file whose import read no step and said why: the same clear error and
exit 2 as diagnose (tests/importers/test_nothing_read.py), not an empty tree or an empty export with exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.test_nothing_read import CASES, _run


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(
    ("command", "outcome"),
    [
        (("show", "--print"), "nothing to show"),
        (("show", "--json"), "nothing to show"),
        (("export", "-f", "html", "-o", "OUT"), "nothing to export"),
        (("export", "-f", "otlp-json"), "nothing to export"),
    ],
)
def test_show_and_export_refuse_a_file_that_yields_no_step(
    name: str, command: tuple[str, ...], outcome: str, tmp_path: Path
) -> None:
    make, _, named = CASES[name]
    path = make(tmp_path)
    out = tmp_path / "out.html"
    done = _run(command[0], str(path), *(str(out) if part == "OUT" else part for part in command[1:]))
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"error: {path}: no step could be read, {outcome}" in done.stderr
    assert f"{path}{named}" in done.stderr  # the problem itself, with its line and field
    assert "Traceback" not in done.stderr and not out.exists() and not done.stdout.strip()


def test_a_readable_file_still_shows(tmp_path: Path) -> None:
    done = _run("show", "--print", "sample_traces/03_tool_loop.jsonl")
    assert done.returncode == 0 and "step-13" in done.stdout
