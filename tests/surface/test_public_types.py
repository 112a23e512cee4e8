"""The public surface is typed for the user's type checker: mypy sees real signatures, not ``Any``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

TYPED = """
    import agentdbg
    from openai import OpenAI

    client: OpenAI = agentdbg.wrap_openai(OpenAI(api_key="k"))

    @agentdbg.tool
    def get_weather(city: str) -> str:
        return city

    weather: str = get_weather("Paris")
    with agentdbg.trace("run", metadata={"user": "u1"}):
        with agentdbg.span("plan", kind="agent"):
            pass
    agentdbg.instrument()
    agentdbg.uninstrument()
    trace: agentdbg.Trace = agentdbg.open_trace("run.jsonl")
    error: type[Exception] = agentdbg.AgentdbgError
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    snippet = tmp_path / "user_agent.py"
    snippet.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "/dev/null", "--strict", str(snippet)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )


def test_typed_calls_pass_and_a_misspelt_name_or_wrong_argument_is_rejected(tmp_path: Path) -> None:
    wrong = TYPED + """
    agentdbg.wrap_opnai(1)
    with agentdbg.span(123):
        pass
    get_weather(42)
"""
    result = _mypy(tmp_path, wrong)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(errors) == 3, result.stdout  # only the three wrong lines; the typed part is clean
    assert 'Module has no attribute "wrap_opnai"' in errors[0]
    assert '"span" has incompatible type "int"' in errors[1]
    assert '"get_weather" has incompatible type "int"' in errors[2]
