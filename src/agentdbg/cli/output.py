"""Where CLI output goes: results on stdout, diagnostics on stderr; NO_COLOR respected."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from agentdbg.errors import AgentdbgError
from agentdbg.textsafe import TerminalSafeWriter, safe_text

if TYPE_CHECKING:  # rich is imported when something is printed with it (validate and --json runs never do)
    from rich.console import Console

PIPE_WIDTH = 4096  # a pipe or file has no width: lines are not wrapped there (paths stay whole for grep/awk)


def stdout_console() -> Console:
    from rich.console import Console

    return Console(highlight=False, markup=False, emoji=False, soft_wrap=True)


def _natural_width(renderable: Any) -> None:
    """Tables (also inside groups) take their content's width instead of filling the console."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Table):
        renderable.expand = False
        for column in renderable.columns:
            column.overflow = "ellipsis" if column.no_wrap else column.overflow
    elif isinstance(renderable, Group):
        for child in renderable.renderables:
            _natural_width(child)


def print_result(renderable: Any) -> None:
    """A result table or group on stdout: fitted to a terminal, unwrapped on a pipe."""
    console = stdout_console()
    if console.is_terminal:
        console.print(renderable)
        return
    sys.stdout.write("".join(line + "\n" for line in pipe_lines(renderable)))
    sys.stdout.flush()


def pipe_lines(renderable: Any) -> list[str]:
    """The lines ``print_result`` writes for ``renderable`` on a pipe or file (natural width, right-stripped)."""
    console = stdout_console()
    _natural_width(renderable)
    console.width = PIPE_WIDTH
    with console.capture() as captured:
        console.print(renderable)
    return [line.rstrip() for line in captured.get().splitlines()]


def result_stdout() -> Any:
    """stdout for raw results (cat, import, export): exact bytes on a pipe or file, escaped on a terminal."""
    if sys.stdout.isatty():
        return TerminalSafeWriter(sys.stdout.buffer)
    return sys.stdout.buffer


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def print_error(error: AgentdbgError | str) -> None:
    """``error: message`` (and a hint) on stderr, safe for any text the message quotes."""
    from rich.text import Text

    console = stderr_console()
    message = error.message if isinstance(error, AgentdbgError) else error
    text = Text("error: ", style="bold red")
    text.append(safe_text(message))
    console.print(text)
    if isinstance(error, AgentdbgError) and error.hint:
        console.print(Text("hint: " + safe_text(error.hint), style="dim"))


def print_warning(message: str) -> None:
    from rich.text import Text

    text = Text("warning: ", style="yellow")
    text.append(safe_text(message))
    stderr_console().print(text)


def print_problem(problem: object) -> None:
    """A read problem (``file:line: severity [field]: reason``) on stderr."""
    from rich.text import Text

    stderr_console().print(Text(safe_text(str(problem)), style="yellow"))


def print_json(value: Any) -> None:
    """JSON on stdout for scripts (``--json | jq``). Escapes keep control characters harmless."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=True, default=str) + "\n")
    sys.stdout.flush()
