"""The read problems of the trace: every skipped or odd line with its number and reason."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from agentdbg.model.problems import Problem
from agentdbg.textsafe import safe_line

SEVERITY_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}


def problems_text(problems: list[Problem]) -> Text:
    text = Text()
    if not problems:
        text.append("No problems: every line of the file was read.", style="green")
    for problem in sorted(problems, key=lambda p: p.line):
        text.append(f"line {problem.line:>6}  ", style="bold")
        text.append(f"{problem.severity:<8}", style=SEVERITY_STYLES.get(problem.severity, ""))
        if problem.field:
            text.append(f"[{safe_line(problem.field)}] ", style="#87afd7")
        text.append(safe_line(problem.message) + "\n")
    return text


class ProblemsScreen(ModalScreen[None]):
    """Lists read problems; escape or q closes it."""

    BINDINGS = [Binding("escape,q,exclamation_mark", "dismiss", "Close")]

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box", classes="dialog"):
            yield Static(
                Text(
                    f"{len(self.problems)} read problem(s) — these lines were skipped or repaired",
                    style="bold",
                ),
                classes="dialog-title",
            )
            with VerticalScroll():
                yield Static(problems_text(self.problems), id="problems-list")
            yield Static(Text("esc to close · `agentdbg validate FILE` prints the same list", style="dim"))
