"""The Findings pane: what ``diagnose`` flagged, the selected step's findings first."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from agentdbg.model.span import Span
from agentdbg.textsafe import safe_line, safe_text
from agentdbg.tui.widgets.panes import StepPane

SEVERITY_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}


def finding_block(finding: Any, current: bool) -> RenderableType:
    """One finding: severity, step, title, evidence and the fix to try (all literal text).

    Evidence and fix hang indented, so their wrapped lines stay under them.
    """
    head = Text()
    head.append("▶ " if current else "  ", style="bold magenta")
    head.append(f"{finding.severity:<8}", style=SEVERITY_STYLES.get(finding.severity, ""))
    head.append(f"step-{finding.step:<4} ", style="bold")
    head.append(safe_line(finding.title), style="bold")
    head.append(f"  [{safe_line(finding.pattern)}]", style="dim")
    fix = Text()
    fix.append("fix: ", style="green")
    fix.append(safe_text(finding.fix))
    return Group(
        head,
        Padding(Text(safe_text(finding.evidence)), (0, 0, 0, 4)),
        Padding(fix, (0, 0, 1, 4)),
    )


class FindingsPane(StepPane):
    """Lists every finding; ``findings`` is set by the screen once the diagnose worker answers."""

    findings: list[Any] | None = None
    note: str = "diagnosing…"

    def build(self, span: Span) -> RenderableType:
        if self.findings is None:
            return Text(self.note, style="dim")
        if not self.findings:
            return Text("diagnose found nothing wrong in this run", style="green")
        here = [f for f in self.findings if f.step == span.step or span.step in f.related_steps]
        others = [f for f in self.findings if f not in here]
        parts: list[RenderableType] = [
            Text(f"{len(self.findings)} finding(s); e/E or the ! marks in the tree lead to them", style="dim")
        ]
        if here:
            parts.append(Text(f"\non {span.address}", style="bold underline"))
            parts.extend(finding_block(f, True) for f in here)
        if others:
            parts.append(Text("\nelsewhere in the run", style="bold underline"))
            parts.extend(finding_block(f, False) for f in others)
        return Group(*parts)
