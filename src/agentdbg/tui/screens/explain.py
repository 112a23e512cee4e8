"""The explain screen: asks the model about a step in a background worker, shows the answer, replays a fix.

Push it from the debugger (``x`` on a step)::

    Binding("x", "explain", "Explain")

    def action_explain(self) -> None:
        from agentdbg.tui.screens.explain import ExplainScreen

        step = self.step_tree.current_step
        self.app.push_screen(ExplainScreen(self.path, step=f"step-{step}" if step else None, format=self.format))

Workers only post messages; the handlers here own what is shown. Keys ``1``–``N`` (only
as many as the answer has fixes) replay that candidate fix (diagnose before → after, answer
changed, fork path).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from agentdbg.errors import AgentdbgError
from agentdbg.textsafe import safe_line, safe_text


class ExplainScreen(ModalScreen[None]):
    """Explain one trace (optionally from a given step) and replay the suggested fixes on request."""

    DEFAULT_CSS = """
    ExplainScreen { align: center middle; }
    ExplainScreen #explain-box { width: 120; }
    ExplainScreen #explain-scroll { max-height: 40; }
    ExplainScreen #explain-keys { dock: bottom; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close"),
        Binding("1", "replay_fix(1)", "Replay fix 1"),
        Binding("2", "replay_fix(2)", "Replay fix 2", show=False),
        Binding("3", "replay_fix(3)", "Replay fix 3", show=False),
    ]

    class Answered(Message):
        """The explain worker finished (``result``) or failed (``error``, maybe with offline findings)."""

        def __init__(self, result: Any = None, error: AgentdbgError | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    class Replayed(Message):
        """A fix replay finished (``check``) or could not start (``error``)."""

        def __init__(self, number: int, check: Any = None, error: AgentdbgError | None = None) -> None:
            super().__init__()
            self.number = number
            self.check = check
            self.error = error

    def __init__(
        self, trace_path: str, *, step: str | None = None, format: str | None = None, **explain_options: Any
    ) -> None:
        super().__init__()
        self.trace_path = trace_path
        self.step = step
        self.format = format
        self.explain_options = explain_options
        self.result: Any = None
        self.error: AgentdbgError | None = None
        self.checks: dict[int, Any] = {}
        self.replaying: set[int] = set()

    def compose(self) -> ComposeResult:
        with Vertical(id="explain-box", classes="dialog"):
            title = f"explain {Path(self.trace_path).name}" + (f" at {self.step}" if self.step else "")
            yield Static(Text(safe_line(title), style="bold"), classes="dialog-title")
            with VerticalScroll(id="explain-scroll"):
                yield Static(Text("asking the model …", style="dim"), id="explain-body")
            yield Static(keys_line(0), id="explain-keys")

    def on_mount(self) -> None:
        self.ask()

    @work(thread=True, exclusive=True, exit_on_error=False, group="explain")
    def ask(self) -> None:
        from agentdbg.explain import explain
        from agentdbg.importers import open_trace

        try:
            trace = open_trace(self.trace_path, format=self.format)
            result = explain(trace, step=self.step, **self.explain_options)
        except AgentdbgError as exc:
            self.post_message(self.Answered(error=exc))
        else:
            self.post_message(self.Answered(result=result))

    @work(thread=True, exit_on_error=False, group="replay")
    def replay_one(self, number: int, fix: Any) -> None:
        from agentdbg.explain.check import check_fixes
        from agentdbg.importers import open_trace
        from agentdbg.replay.options import ReplayOptions

        options = {
            key: self.explain_options[key] for key in ("tools", "max_steps") if key in self.explain_options
        }
        base_url = self.explain_options.get("replay_base_url") or self.explain_options.get("base_url")
        try:
            (check,) = check_fixes(
                open_trace(self.trace_path, format=self.format),
                [fix],
                first_number=number,
                replay_options=ReplayOptions(base_url=base_url, **options),
            )
        except AgentdbgError as exc:
            self.post_message(self.Replayed(number, error=exc))
        else:
            self.post_message(self.Replayed(number, check=check))

    def action_replay_fix(self, number: int) -> None:
        answer = getattr(self.result, "answer", None)
        if answer is None or not 1 <= number <= len(answer.fixes) or number in self.replaying:
            return
        self.replaying.add(number)
        self.checks[number] = None
        self.refresh_body()
        self.replay_one(number, answer.fixes[number - 1])

    @on(Answered)
    def show_answer(self, message: Answered) -> None:
        self.result, self.error = message.result, message.error
        self.query_one("#explain-keys", Static).update(keys_line(len(self._fixes())))
        self.refresh_bindings()
        self.refresh_body()

    def _fixes(self) -> list[Any]:
        answer = getattr(self.result, "answer", None)
        return list(answer.fixes) if answer is not None else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "replay_fix":
            number = parameters[0] if parameters else 0
            return isinstance(number, int) and 1 <= number <= len(self._fixes())
        return True

    @on(Replayed)
    def show_replay(self, message: Replayed) -> None:
        self.replaying.discard(message.number)
        self.checks[message.number] = message.check if message.error is None else message.error
        self.refresh_body()

    def body(self) -> RenderableType:
        """The answer (or the error and the offline findings) and a line per replayed fix."""
        from agentdbg.render.explain import render_explain
        from agentdbg.render.findings import render_findings

        if self.error is not None:
            text = Text()
            text.append("error: ", style="bold red")
            text.append(safe_text(self.error.message), style="red")
            hint = tui_hint(self.error, self.trace_path)
            if hint:
                text.append("\n" + safe_text(hint), style="dim")
            findings = getattr(self.error, "findings", None)
            if findings is not None:
                return Group(
                    text, Text("\noffline diagnose findings:", style="bold"), render_findings(findings)
                )
            return text
        if self.result is None:
            return Text("asking the model …", style="dim")
        parts: list[RenderableType] = [
            _check_line(number, self.checks[number]) for number in sorted(self.checks)
        ]
        if parts:
            parts.append(Text(""))  # replays first: visible without scrolling
        parts.append(render_explain(self.result))
        return Group(*parts)

    def refresh_body(self) -> None:
        self.query_one("#explain-body", Static).update(self.body())


def keys_line(fixes: int) -> Text:
    """The keys that work now: ``1``–``N`` only once the answer has ``N`` fixes."""
    if fixes == 0:
        return Text("esc to close", style="dim")
    keys = "1" if fixes == 1 else f"1-{fixes}"
    return Text(f"{keys} replay {'the' if fixes == 1 else 'a'} fix · esc to close", style="dim")


def tui_hint(error: AgentdbgError, trace_path: str) -> str:
    """An explain error's hint for this screen: the CLI's ``--flags`` mean nothing here.

    A missing key says what to export; a hint naming a flag becomes a command to run in a shell.
    """
    from shlex import quote

    hint = error.hint or ""
    variable = getattr(error, "variable", None)
    if variable:
        return f"export {variable}=... and open the trace again; the offline diagnose findings are below"
    if "--model" in hint:
        return (
            f"this screen asks the default model; to try another, run "
            f"`agentdbg explain {quote(trace_path)} --model NAME` in a shell · `agentdbg diagnose` works offline"
        )
    if "--" in hint:
        return f"{hint} (options of `agentdbg explain {quote(trace_path)}`, run in a shell)"
    return hint


def _check_line(number: int, check: Any) -> Text:
    """``fix N: status · findings before → after · answer changed · fork``."""
    text = Text(f"fix {number}: ", style="bold")
    if check is None:
        text.append("replaying …", style="dim")
    elif isinstance(check, AgentdbgError):
        text.append(safe_line(check.message), style="red")
    else:
        style = "green" if check.verified else "yellow"
        text.append(check.status, style=style)
        text.append(f" · findings {len(check.before)} → {len(check.after)}")
        text.append(f" · answer {'changed' if check.answer_changed else 'same'}")
        text.append(f" · {safe_line(check.fork_path or '-')}", style="dim")
        if check.error:
            text.append(f"\n  {safe_line(check.error)}", style="red")
    return text


__all__ = ["ExplainScreen"]
