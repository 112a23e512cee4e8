"""A fork's own timeline and status for display, whatever the copied steps say.

A fork copies the original's steps before the fork point (``origin: recorded``) with their
original times, and the steps around it (the agent step) with the original's end and error;
drawn as recorded, the fork looked failed, lasted days, and its waterfall put the original at
the far left and the new steps at the far right. Here the steps the fork ran are moved back to
follow the copied ones, and a copied step that contains fork steps takes its end and status
from them. Data that is already consistent (a fork writer that does this itself) is unchanged.
Pure Python: rows only, the spans (and so the Info and Raw panes) stay as written.
"""

from __future__ import annotations

from agentdbg.model.span import Span
from agentdbg.tui.steps import StepRow, row_of

_STATUS_ORDER = {"ok": 0, "incomplete": 1, "error": 2}
SESSION_GAP = 60.0  # seconds between copied history and the first fork step that only a later session leaves


def fork_rows(spans: list[Span]) -> list[tuple[StepRow, str | None]]:
    """Rows (with parent ids) of a fork's spans on the fork's own timeline."""
    rows = [row_of(span, number) for number, span in enumerate(spans, start=1)]
    parent_of = {span.id: span.parent_id for span in spans}
    ran = [row for row in rows if row.origin not in (None, "recorded")]
    if not ran:
        return [(row, span.parent_id) for row, span in zip(rows, spans, strict=True)]
    by_id = {row.id: row for row in rows}
    containers: dict[str, list[StepRow]] = {}  # copied step id -> the fork steps inside it
    for row in ran:
        parent = parent_of.get(row.id)
        while parent is not None and parent in by_id:
            if by_id[parent].origin in (None, "recorded"):
                containers.setdefault(parent, []).append(row)
            parent = parent_of.get(parent)
    stale = [
        container_id for container_id, inside in containers.items() if _stale(by_id[container_id], inside)
    ]
    _shift_back(rows, ran, containers, always=bool(stale))
    for container_id in stale:
        _take_end_and_status(by_id[container_id], containers[container_id])
    return [(row, span.parent_id) for row, span in zip(rows, spans, strict=True)]


def _shift_back(
    rows: list[StepRow], ran: list[StepRow], containers: dict[str, list[StepRow]], *, always: bool
) -> None:
    """Move the fork's steps back so the first starts where the copied history ends.

    Only when the copies are stale (``always``) or the gap is one no run leaves (a minute):
    a fork written consistently keeps its small, real gaps.
    """
    starts = [row.started_at for row in ran if row.started_at is not None]
    if not starts:
        return
    copied_ends = [
        row.ended_at
        for row in rows
        if row.origin in (None, "recorded") and row.id not in containers and row.ended_at is not None
    ]
    container_starts = [row.started_at for row in rows if row.id in containers and row.started_at is not None]
    history_end = max(copied_ends or container_starts or [min(starts)])
    gap = min(starts) - history_end
    if gap <= 0 or (not always and gap < SESSION_GAP):
        return
    for row in ran:
        if row.started_at is not None:
            row.started_at -= gap
        if row.ended_at is not None:
            row.ended_at -= gap


def _stale(container: StepRow, inside: list[StepRow]) -> bool:
    """A copied step that ended (as recorded) before the fork steps inside it began: the original's end."""
    starts = [row.started_at for row in inside if row.started_at is not None]
    if container.ended_at is None:
        return True
    return bool(starts) and container.ended_at < min(starts)


def _take_end_and_status(container: StepRow, inside: list[StepRow]) -> None:
    """A copied step around fork steps ends with them and fails only if one of them did."""
    ends = [row.ended_at for row in inside if row.ended_at is not None]
    if ends:
        container.ended_at = max(ends)
    container.status = max((row.status for row in inside), key=lambda status: _STATUS_ORDER.get(status, 0))
