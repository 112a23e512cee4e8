"""Where CLI output goes: results on stdout, diagnostics on stderr; NO_COLOR respected."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.text import Text

from agentdbg.errors import AgentdbgError
from agentdbg.textsafe import safe_text


def stdout_console() -> Console:
    return Console(highlight=False, markup=False, emoji=False, soft_wrap=True)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


def print_error(error: AgentdbgError | str) -> None:
    """``error: message`` (and a hint) on stderr, safe for any text the message quotes."""
    console = stderr_console()
    message = error.message if isinstance(error, AgentdbgError) else error
    text = Text("error: ", style="bold red")
    text.append(safe_text(message))
    console.print(text)
    if isinstance(error, AgentdbgError) and error.hint:
        console.print(Text("hint: " + safe_text(error.hint), style="dim"))


def print_warning(message: str) -> None:
    text = Text("warning: ", style="yellow")
    text.append(safe_text(message))
    stderr_console().print(text)


def print_problem(problem: object) -> None:
    """A read problem (``file:line: severity [field]: reason``) on stderr."""
    stderr_console().print(Text(safe_text(str(problem)), style="yellow"))


def print_json(value: Any) -> None:
    """JSON on stdout for scripts (``--json | jq``). Escapes keep control characters harmless."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=True, default=str) + "\n")
    sys.stdout.flush()
