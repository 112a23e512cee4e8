"""``explain`` results as rich renderables: the evidence sent, the model's answer, the fix checks."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from agentdbg.explain import ExplainResult, FixCheck, ModelAnswer
from agentdbg.textsafe import safe_line, safe_text


def _label(name: str, value: str, style: str = "") -> Text:
    """``name`` padded, then ``value`` (one line; for wrapped blocks use ``_fields``)."""
    text = Text(f"{name:<14}  ", style="bold")
    text.append(safe_text(value), style=style)
    return text


def _fields(rows: Sequence[tuple[str, Text]], indent: int = 0) -> Table:
    """Label/value rows whose values wrap under themselves (hanging indent), not under the labels."""
    grid = Table.grid(padding=(0, 2), pad_edge=False)
    if indent:
        grid.add_column(width=indent - 2 if indent > 2 else indent, no_wrap=True)
    grid.add_column(style="bold", no_wrap=True, min_width=14 if not indent else 5)
    grid.add_column(ratio=1)
    for name, value in rows:
        grid.add_row(*([Text("")] if indent else []), Text(name), value)
    return grid


def _value(text: str, style: str = "") -> Text:
    return Text(safe_text(text), style=style)


def evidence_summary(result: ExplainResult) -> Table:
    """Which step, which steps were sent, how many tokens, and exactly what was trimmed or masked."""
    evidence = result.evidence
    rows = [
        ("broken step", _value(f"{evidence.target_step} ({evidence.target_reason})")),
        (
            "evidence",
            _value(
                f"steps {', '.join(evidence.window)}, {len(result.findings)} finding(s), "
                f"~{evidence.estimated_tokens:,} tokens (budget {evidence.budget_tokens:,})"
            ),
        ),
    ]
    if evidence.masked_secrets:
        rows.append(("masked", _value(f"{evidence.masked_secrets} key-shaped string(s)", "yellow")))
    rows.extend(("trimmed", _value(line, "dim")) for line in evidence.trimmed)
    return _fields(rows)


def fix_detail(number: int, answer: ModelAnswer) -> RenderableType:
    """One candidate fix: kind, step, title, then its rationale and its patch (one op per line)."""
    fix = answer.fixes[number - 1]
    head = Text(f"fix {number}  ", style="bold green")
    head.append(f"[{fix.kind}] ", style="magenta")
    head.append(f"{fix.step}  ", style="bold")
    head.append(safe_line(fix.title), style="bold")
    patch = Text(
        "\n".join(safe_text(json.dumps(op, ensure_ascii=False)) for op in fix.patch_json), style="cyan"
    )
    return Group(head, _fields([("why", _value(fix.rationale)), ("patch", patch)], indent=4))


def answer_view(answer: ModelAnswer, *, model: str | None = None, attempts: int = 1) -> RenderableType:
    """The model's explanation: where the failure starts, the pattern, the root cause, then each fix."""
    rows = [
        ("failure starts", _value(answer.failure_step, "bold red")),
        ("pattern", _value(answer.failure_pattern, "magenta")),
        ("root cause", _value(answer.root_cause)),
    ]
    if model:
        retried = " (after one retry: the first answer did not validate)" if attempts > 1 else ""
        rows.append(("model", _value(f"{model}{retried}", "dim")))
    parts: list[RenderableType] = [_fields(rows)]
    for number in range(1, len(answer.fixes) + 1):
        parts.extend([Text(""), fix_detail(number, answer)])
    return Group(*parts)


def _findings_cell(labels: Sequence[str]) -> str:
    return f"{len(labels)}" + (
        f" ({', '.join(labels[:3])}{', …' if len(labels) > 3 else ''})" if labels else ""
    )


def checks_table(checks: Sequence[FixCheck], best: int | None = None) -> Table:
    """Fix, replay status, findings before → after, final answer changed (the best verified fix starred)."""
    table = Table(
        box=box.SIMPLE_HEAD,
        expand=True,
        title=Text("verification (replay of each fix)", style="bold"),
        title_justify="left",
    )
    table.add_column("fix", no_wrap=True)
    table.add_column("replay", no_wrap=True)
    table.add_column("findings before → after", ratio=2)
    table.add_column("final answer", no_wrap=True)
    table.add_column("fork", ratio=1, overflow="fold")
    for check in checks:
        star = " ★" if check.number == best else ""
        fix = Text(f"{check.number} {check.kind} @{check.step}{star}", style="bold" if star else "")
        status_style = (
            "green" if check.status == "finished" else "yellow" if check.status != "errored" else "red"
        )
        status = Text(check.status, style=status_style)
        if check.error:
            status.append("\n" + safe_line(check.error)[:120], style="dim")
        changed = {True: "changed", False: "same", None: "-"}[check.answer_changed]
        findings = Text(f"{_findings_cell(check.before)} → {_findings_cell(check.after)}")
        table.add_row(fix, status, findings, changed, Text(safe_line(check.fork_path or "-")))
    return table


def render_explain(result: ExplainResult) -> RenderableType:
    """Everything ``agentdbg explain`` prints: evidence summary, answer, checks, the written fix."""
    parts: list[RenderableType] = [evidence_summary(result)]
    if result.answer is not None:
        parts.append(Text(""))
        parts.append(answer_view(result.answer, model=result.model, attempts=result.attempts))
    if result.checks is not None:
        parts.extend([Text(""), checks_table(result.checks, result.best_fix)])
    if result.fix_path:
        parts.append(_label("best fix", f"fix {result.best_fix} written to {result.fix_path}", "green"))
        parts.append(_label("replay it", result.replay_command or ""))
    for note in result.notes:
        parts.append(_label("note", note, "yellow"))
    return Group(*parts)


__all__ = ["answer_view", "checks_table", "evidence_summary", "fix_detail", "render_explain"]
