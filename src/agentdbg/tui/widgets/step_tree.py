"""The execution tree: one line per visible step, drawn by ``render_line`` like toolong's log view.

Only the rows on screen are rendered, so 100k steps cost a list of ints, not 100k widgets.
Each row: fold marker, ``step-N``, kind glyph, name, duration, tokens, and a waterfall bar
showing where in the run the step's time went. Status colours the row. A narrow tree (an
80-column terminal) keeps the step number and the name: the bar and the tokens go first,
then the duration.
"""

from __future__ import annotations

import math
import time

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from agentdbg.render.formatting import KIND_GLYPHS, fmt_duration, fmt_tokens
from agentdbg.textsafe import safe_line
from agentdbg.tui.lru import LRUCache
from agentdbg.tui.steps import StepRow, StepTable
from agentdbg.tui.textual_compat import grow_virtual_height
from agentdbg.tui.visible import VisibleRows

BAR_WIDTH = 10
RIGHT_WIDTH = 19  # duration (7) + tokens (11) + a space, left of the bar
DURATION_WIDTH = 7
WIDE = 54  # rows at least this wide show tokens and the waterfall (the tree of a ~110-column terminal)
MIN_NAME = 12  # a narrower row drops its duration before the name gets shorter than this
RESIZE_EVERY = 0.3  # seconds between virtual-size updates while a big trace loads
KIND_COLOURS = {
    "llm": "#5fafff",
    "tool": "#d7af5f",
    "retrieval": "#87d787",
    "agent": "#af87ff",
    "custom": "#a8a8a8",
}
STATUS_COLOURS = {"error": "#ff5f5f", "incomplete": "#ffd75f"}
_PLAIN = Style()
_SELECTED = Style(bgcolor="#303030")
_SELECTED_FOCUSED = Style(bgcolor="#264f78")


class StepTree(ScrollView, can_focus=True):
    """The left pane: a line-rendered, collapsible tree of steps with a cursor."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter,space", "fold", "Fold"),
        Binding("left,h", "collapse", "Collapse", show=False),
        Binding("right,l", "expand", "Expand", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Selected(Message):
        """The cursor moved onto a step."""

        def __init__(self, step: int, tree: StepTree) -> None:
            super().__init__()
            self.step = step
            self.tree = tree

        @property
        def control(self) -> StepTree:
            return self.tree

    def __init__(self, table: StepTable, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.table = table
        self.view_rows = VisibleRows(table)
        self.marked: set[int] = set()  # search hits
        self.flagged_by_findings: set[int] = set()
        self.highlight_step: int | None = None  # e.g. the first diverging step of a fork
        self._resized_at = 0.0
        self._line_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(2000)
        self._bar_cache: LRUCache[tuple[object, ...], Strip] = LRUCache(500)

    # ------------------------------------------------------------------ data

    def reload(self) -> None:
        """Recompute visible rows after the table changed a lot."""
        self.view_rows.rebuild()
        self._resize()

    def appended(self, steps: list[int]) -> None:
        """New steps arrived (loading or ``--follow``): keep the view unless it was at the bottom."""
        was_at_bottom = self.scroll_y >= self.max_scroll_y - 0.5
        cursor_at_end = self.cursor >= len(self.view_rows) - 1
        bottom = int(self.scroll_y) + max(1, self.scrollable_content_region.height)
        look = self._look()
        on_screen = False
        rows = self.table.rows
        for step in steps:
            parent = rows[step - 1].parent
            if parent and rows[parent - 1].children[0] == step:
                on_screen = True  # the parent's row gains its fold marker
            if self.view_rows.append(step):
                # Appended at the end unless an earlier subtree grew (which shifts rows: repaint).
                at_end = self.view_rows.steps[-1] == step
                on_screen = on_screen or not at_end or len(self.view_rows) - 1 < bottom
        # The virtual size is set a few times a second once the view is full (flush() settles it
        # when loading ends); rows below the view need no repaint unless every row's look changed.
        screen_full = self.virtual_size.height > self.scrollable_content_region.height
        if not screen_full or self._following or time.monotonic() - self._resized_at > RESIZE_EVERY:
            self._resize(repaint=False)
        if (
            was_at_bottom
            and cursor_at_end
            and len(self.view_rows)
            and self.table.header is not None
            and self._following
        ):
            self.cursor = len(self.view_rows) - 1
            self.call_after_refresh(self.scroll_end, animate=False)
        if on_screen or look != self._look():
            self.refresh()

    _following = False

    def follow(self, on: bool) -> None:
        self._following = on

    def flush(self) -> None:
        """Settle the virtual size after the last batch."""
        self._resize()

    def _resize(self, repaint: bool = True) -> None:
        self._resized_at = time.monotonic()
        self._set_virtual_size(Size(self.scrollable_content_region.width, len(self.view_rows)))
        if self.cursor >= len(self.view_rows):
            self.cursor = max(0, len(self.view_rows) - 1)
        if repaint:
            self.refresh()

    def _set_virtual_size(self, size: Size) -> None:
        """Set the scrollable size; a taller list that already overflows only updates the scrollbar.

        Assigning ``virtual_size`` re-lays out and repaints the whole screen (~60 ms with a big
        prompt open), which a trace streaming in did a few times a second. The tree's own height
        is ``1fr``, so only the scrollbar depends on the row count while it stays visible.
        """
        old, view = self.virtual_size, self.scrollable_content_region.height
        if size == old:
            return
        if size.width == old.width and view > 0 and old.height > view and size.height > view:
            grow_virtual_height(self, size)
        else:
            self.virtual_size = size

    @property
    def current_step(self) -> int | None:
        if not self.view_rows.steps:
            return None
        return self.view_rows.steps[min(self.cursor, len(self.view_rows.steps) - 1)]

    def select_step(self, step: int) -> None:
        """Move the cursor to ``step``, unfolding its ancestors."""
        self.cursor = self.view_rows.reveal(step)
        self._resize()

    # --------------------------------------------------------------- actions

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        step = self.current_step
        if step is not None:
            self.post_message(self.Selected(step, self))

    def _scroll_to_cursor(self) -> None:
        if self.cursor >= self.virtual_size.height and self.virtual_size.height < len(self.view_rows):
            self._resize()
        height = self.scrollable_content_region.height or 1
        if self.cursor < self.scroll_y:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= self.scroll_y + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.view_rows) - 1)) if self.view_rows.steps else 0

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.view_rows) - 1

    def action_fold(self) -> None:
        step = self.current_step
        if step is not None and self.view_rows.toggle(step):
            self._resize()

    def action_collapse(self) -> None:
        step = self.current_step
        if step is None:
            return
        if self.view_rows.collapse(step):
            self._resize()
        elif self.table.row(step).parent:
            self.select_step(self.table.row(step).parent)

    def action_expand(self) -> None:
        step = self.current_step
        if step is not None and self.view_rows.expand(step):
            self._resize()

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < len(self.view_rows):
            if self.cursor == index and event.x < 3 + 2 * self.table.row(self.view_rows.steps[index]).depth:
                self.action_fold()
            self.cursor = index

    def on_resize(self) -> None:
        self._resize()

    # -------------------------------------------------------------- drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        if index >= len(self.view_rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        step = self.view_rows.steps[index]
        row = self.table.row(step)
        selected = index == self.cursor
        key: tuple[object, ...] = (
            step,
            selected,
            self.has_focus,
            width,
            step in self.view_rows.collapsed,
            bool(row.children),  # the fold marker appears with the first child
            step in self.marked,
            step in self.flagged_by_findings,
            step == self.highlight_step,
            row.status,
            row.ended_at,
            row.input_tokens,
            len(str(len(self.table.rows))),  # the step column widens at 10, 100, 1000 steps
        )
        wide = width >= WIDE
        strip = self._line_cache.get(key)
        if strip is None:
            cells = width - BAR_WIDTH if wide else width
            text = self.row_text(row, cells, selected=selected, bar=False, tokens=wide)
            segments = list(text.render(self.app.console))
            strip = Strip(segments).adjust_cell_length(cells, self.rich_style).simplify()
            self._line_cache[key] = strip
        if not wide:
            return strip
        # The waterfall is drawn apart from the cached row: its time scale changes with every
        # batch while a big trace loads, and re-rendering every row for it stalled key presses.
        return Strip.join([strip, self._bar_strip(row, selected)])

    def _bar_strip(self, row: StepRow, selected: bool) -> Strip:
        """The row's waterfall bar as a strip (few distinct bars, so they are cached)."""
        base = self._base_style(selected)
        key = (self._bar_cells(row), row.status, row.kind, base)
        strip = self._bar_cache.get(key)
        if strip is None:
            bar = self._bar(row)
            bar.stylize(base)
            strip = Strip(list(bar.render(self.app.console))).simplify()
            self._bar_cache[key] = strip
        return strip

    def _look(self) -> tuple[tuple[int, int], int]:
        """What every row's drawing depends on: the waterfall scale and the step column's width."""
        return (self._bar_scale(), len(str(len(self.table.rows))))  # the column widens at 10, 100, …

    def _bar_scale(self) -> tuple[int, int]:
        """The waterfall's time range, coarsened so rows stay cached while a big trace loads."""
        start, end = self.table.first_start, self.table.last_end
        if start is None or end is None:
            return (0, 0)
        span = max(end - start, 1e-9)
        return (int(start * 1000), int(math.log(span) * 100))

    def _base_style(self, selected: bool) -> Style:
        if not selected:
            return _PLAIN
        return _SELECTED_FOCUSED if self.has_focus else _SELECTED

    def row_text(
        self, row: StepRow, width: int, selected: bool, bar: bool = True, tokens: bool = True
    ) -> Text:
        """One tree row laid out to ``width`` cells (the waterfall bar only if ``bar``, tokens only if ``tokens``).

        The step number and the name always show; the duration only while the name keeps
        ``MIN_NAME`` cells.
        """
        base = self._base_style(selected)
        status_colour = STATUS_COLOURS.get(row.status)
        left = Text(style=base)
        left.append("  " * row.depth)
        if row.children:
            left.append("▸ " if row.step in self.view_rows.collapsed else "▾ ", style="dim")
        else:
            left.append("  ")
        mark = (
            "◎"
            if row.step == self.highlight_step
            else "!"
            if row.step in self.flagged_by_findings
            else "•"
            if row.step in self.marked
            else " "
        )
        left.append(mark, style="bold magenta")
        digits = len(str(len(self.table.rows)))
        left.append(f"step-{row.step:<{digits}}", style=Style(bold=True, color=status_colour))
        left.append(f" {KIND_GLYPHS.get(row.kind, '•')} ", style=KIND_COLOURS.get(row.kind, ""))
        name = safe_line(row.name) or "(unnamed)"
        left.append(name, style=Style(color=status_colour) if status_colour else "")
        if row.origin and row.origin != "recorded":
            left.append(f" [{row.origin}]", style="magenta")
        name_starts = 2 * row.depth + 3 + len("step-") + digits + 3
        right = self._right_part(row, bar=bar, tokens=tokens)
        if not tokens and width - DURATION_WIDTH - name_starts < MIN_NAME:
            right = Text()
        room = max(0, width - right.cell_len)
        left.truncate(room, overflow="ellipsis", pad=True)
        left.append_text(right)
        left.stylize(base)
        return left

    def _right_part(self, row: StepRow, bar: bool = True, tokens: bool = True) -> Text:
        right = Text()
        duration = fmt_duration(row.duration) if row.status != "incomplete" else "…"
        right.append(f" {duration:>6}", style="cyan")
        if not tokens:
            return right
        if row.input_tokens is not None or row.output_tokens is not None:
            token_text = f"{fmt_tokens(row.input_tokens)}→{fmt_tokens(row.output_tokens)}"
        else:
            token_text = ""
        right.append(f" {token_text:>10}", style="#8787d7")
        right.append(" ")
        if bar:
            right.append_text(self._bar(row))
        return right

    def _bar_cells(self, row: StepRow) -> tuple[int, int] | None:
        """First and last (exclusive) bar cell of ``row`` on the run's time scale, if it has one."""
        start, end = self.table.first_start, self.table.last_end
        if start is None or end is None or row.started_at is None or end <= start:
            return None
        total = end - start
        stop = row.ended_at if row.ended_at is not None else end
        first = int((row.started_at - start) / total * BAR_WIDTH)
        last = max(first + 1, math.ceil((stop - start) / total * BAR_WIDTH))
        return min(first, BAR_WIDTH - 1), min(last, BAR_WIDTH)

    def _bar(self, row: StepRow) -> Text:
        cells = self._bar_cells(row)
        bar = Text()
        if cells is None:
            bar.append(" " * BAR_WIDTH)
            return bar
        first, last = cells
        colour = STATUS_COLOURS.get(row.status) or KIND_COLOURS.get(row.kind, "white")
        bar.append("·" * first, style="#444444")
        bar.append("━" * (last - first), style=colour)
        bar.append("·" * (BAR_WIDTH - last), style="#444444")
        return bar
