"""Copying the selected step to the terminal's clipboard (OSC 52): ``y`` as JSON, ``Y`` as Markdown."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from agentdbg.model.span import Span
from agentdbg.tui.controllers.base import Controller
from agentdbg.tui.steps import StepTable

MARKDOWN_MAX_STEPS = 2_000  # a bigger subtree is cut here: the clipboard is for a prompt, not a whole run


def subtree(table: StepTable, step: int, limit: int = MARKDOWN_MAX_STEPS) -> list[int]:
    """``step`` and its descendants in tree order, at most ``limit`` of them."""
    steps: list[int] = []
    stack = [step]
    while stack and len(steps) < limit:
        current = stack.pop()
        steps.append(current)
        stack.extend(reversed(table.row(current).children))
    return steps


class Clipboard(Controller):
    """Puts text on the clipboard through the app and says what it copied."""

    def copy_json(self, step: int, span: Span) -> None:
        data = orjson.dumps(span.to_record(), default=str, option=orjson.OPT_INDENT_2).decode()
        self.app.copy_to_clipboard(data)
        self.notify(f"copied step-{step} as JSON ({len(data):,} characters)", markup=False)

    def copy_markdown(self, step: int, table: StepTable, span_of: Callable[[int], Span]) -> None:
        from agentdbg.exporters.markdown import spans_markdown

        steps = subtree(table, step)
        text = spans_markdown([span_of(number) for number in steps])
        self.app.copy_to_clipboard(text)
        what = f"step-{step}" if len(steps) == 1 else f"step-{step} and {len(steps) - 1} step(s) under it"
        note = f" (cut at {MARKDOWN_MAX_STEPS:,} steps)" if len(steps) == MARKDOWN_MAX_STEPS else ""
        self.notify(f"copied {what} as Markdown ({len(text):,} characters){note}", markup=False)
