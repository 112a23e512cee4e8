"""The one place the TUI leans on Textual details beyond its guides; tests/tui/test_textual_compat.py checks each.

Textual 8 re-lays out the whole screen when a widget's ``virtual_size`` changes (it is a
``layout=True`` reactive). A tree growing by thousands of rows a second while a big trace loads
only needs its scrollbar updated, so ``grow_virtual_height`` sets the size without a layout and
updates the scrollbar through its public reactives. If an upgrade changes any of this, the test
fails instead of the tree silently not scrolling to the new rows.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def grow_virtual_height(view: ScrollView, size: Size) -> None:
    """Set ``view.virtual_size`` to ``size`` without a relayout, keeping its vertical scrollbar in step.

    Only for a view whose height is fixed by its container (``1fr``) and whose content already
    overflows before and after: then the scrollbar is the only thing the new size changes.
    """
    view.set_reactive(ScrollView.virtual_size, size)
    if view.show_vertical_scrollbar:
        scrollbar = view.vertical_scrollbar
        scrollbar.window_virtual_size = size.height
        scrollbar.window_size = view.scrollable_content_region.height
        scrollbar.refresh()
    view.scroll_y = view.validate_scroll_y(view.scroll_y)
