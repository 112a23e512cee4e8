"""The CLI process loads only the command module it needs for the index-only commands (start-up cost),
and that changes nothing it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from agentdbg.cli import app, registry

SAMPLE = Path(__file__).resolve().parents[2] / "sample_traces" / "01_healthy_openai.jsonl"


def test_the_table_names_the_module_that_registers_each_command() -> None:
    registered = {
        (info.name or info.callback.__name__): info.callback.__module__.rsplit(".", 1)[1]
        for info in app.registered_commands
        if info.callback is not None
    }
    for command, module in registry.COMMAND_MODULES.items():
        assert registered[command] == module, command


def test_a_library_import_loads_every_command() -> None:
    assert registry.wanted_module(["pytest", "show"]) is None  # not the agentdbg process
    assert len(app.registered_commands) > len(registry.COMMAND_MODULES)


# ``python -m agentdbg ARGS``, then the command modules it loaded, on stderr
_RUN = """
import atexit, runpy, sys
atexit.register(lambda: print(sorted(m for m in sys.modules if m.endswith("_cmds")), file=sys.stderr))
sys.argv = ["agentdbg", *sys.argv[1:]]
runpy.run_module("agentdbg", run_name="__main__", alter_sys=True)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=False)


def test_show_loads_only_its_module_and_prints_what_the_whole_app_prints() -> None:
    for args in (["show", str(SAMPLE), "--step", "2", "--print"], ["show", str(SAMPLE), "--print"], ["validate", str(SAMPLE)]):
        alone = _run(*args)
        assert "agentdbg.cli.show_cmds" in alone.stderr
        assert "agentdbg.cli.analysis_cmds" not in alone.stderr, args
        whole = CliRunner().invoke(app, args)
        assert (alone.returncode, alone.stdout) == (whole.exit_code, whole.stdout), args


def test_another_command_or_help_loads_them_all() -> None:
    helped = _run("--help")
    assert "agentdbg.cli.analysis_cmds" in helped.stderr and "validate" in helped.stdout
    assert "agentdbg.cli.analysis_cmds" in _run("formats").stderr
