"""Findings as rich renderables: a table per trace (print mode) and one finding in full (TUI pane)."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agentdbg.analysis.findings import Finding
from agentdbg.textsafe import safe_line, safe_text

SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}
SEVERITY_GLYPHS = {"error": "✖", "warning": "▲", "info": "●"}


def severity_text(severity: str) -> Text:
    return Text(f"{SEVERITY_GLYPHS.get(severity, '•')} {severity}", style=SEVERITY_STYLES.get(severity, ""))


MAX_STEPS_LISTED = 8


def group_repeats(findings: Sequence[Finding]) -> list[list[Finding]]:
    """Findings with the same severity, pattern and fix, in order of their first step: one row each, not 23."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.severity, finding.pattern, finding.fix), []).append(finding)
    return list(groups.values())


def _steps_line(group: Sequence[Finding]) -> str:
    listed = ", ".join(finding.address for finding in group[:MAX_STEPS_LISTED])
    more = f" and {len(group) - MAX_STEPS_LISTED} more" if len(group) > MAX_STEPS_LISTED else ""
    return f"×{len(group)} alike at {listed}{more}"


def findings_table(findings: Sequence[Finding], title: str | None = None) -> Table:
    """Severity, step, pattern, then evidence with the suggested fix under it; repeats grouped (``×23``)."""
    table = Table(
        title=Text(safe_line(title)) if title else None,
        box=box.SIMPLE_HEAD,
        show_lines=True,
        expand=True,
        title_justify="left",
    )
    table.add_column("severity", no_wrap=True, min_width=9)
    table.add_column("step", no_wrap=True, style="bold", min_width=7)
    table.add_column("pattern", no_wrap=True, style="magenta")
    table.add_column("evidence / suggested fix", ratio=1)
    for group in group_repeats(findings):
        finding = group[0]
        cell = Text(safe_text(finding.title), style="bold")
        cell.append("\n" + safe_text(finding.evidence))
        if len(group) > 1:
            cell.append("\n" + _steps_line(group), style="yellow")
        cell.append("\nfix: ", style="bold green")
        cell.append(safe_text(finding.fix), style="dim")
        step = finding.address if len(group) == 1 else f"{finding.address}\n×{len(group)}"
        table.add_row(severity_text(finding.severity), step, finding.pattern, cell)
    return table


def findings_summary(findings: Sequence[Finding]) -> Text:
    """``2 errors, 1 warning, 0 info`` (or ``no findings``)."""
    if not findings:
        return Text("no findings", style="green")
    text = Text()
    for index, severity in enumerate(("error", "warning", "info")):
        count = sum(1 for finding in findings if finding.severity == severity)
        if index:
            text.append(", ")
        text.append(
            f"{count} {severity}{'s' if count != 1 and severity != 'info' else ''}",
            style=SEVERITY_STYLES[severity] if count else "dim",
        )
    return text


def render_findings(findings: Sequence[Finding], title: str | None = None) -> RenderableType:
    """A titled table plus a one-line summary (what ``agentdbg diagnose`` prints per trace)."""
    if not findings:
        heading = Text(safe_line(title) + ": " if title else "")
        heading.append_text(findings_summary(findings))
        return heading
    return Group(findings_table(findings, title), findings_summary(findings))


def finding_detail(finding: Finding) -> Text:
    """One finding in full (the TUI findings pane and ``explain``)."""
    text = severity_text(finding.severity)
    text.append(f"  {finding.address}  ", style="bold")
    text.append(finding.pattern, style="magenta")
    text.append("\n" + safe_text(finding.title), style="bold")
    text.append("\n" + safe_text(finding.evidence))
    if finding.related_steps:
        text.append("\nsteps: " + ", ".join(f"step-{n}" for n in finding.related_steps), style="dim")
    text.append("\nfix: ", style="bold green")
    text.append(safe_text(finding.fix))
    return text


__all__ = [
    "SEVERITY_STYLES",
    "finding_detail",
    "findings_summary",
    "findings_table",
    "group_repeats",
    "render_findings",
    "severity_text",
]
