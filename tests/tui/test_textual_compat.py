"""The Textual details the TUI leans on (``agentdbg.tui.textual_compat``) and its own row cache.

If a Textual upgrade changes how a scroll view's size and scrollbar relate, these fail here,
by name, instead of the tree silently not scrolling to rows that arrived while loading.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.scroll_view import ScrollView

from agentdbg.tui.lru import LRUCache
from agentdbg.tui.textual_compat import grow_virtual_height


class Tall(ScrollView):
    DEFAULT_CSS = "Tall { height: 10; scrollbar-size-vertical: 1; }"


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Tall()


async def test_grow_virtual_height_updates_the_scrollbar_and_the_scroll_range() -> None:
    app = Host()
    async with app.run_test(size=(40, 20)) as pilot:
        view = app.query_one(Tall)
        view.virtual_size = Size(39, 100)
        await pilot.pause()
        assert view.show_vertical_scrollbar and view.max_scroll_y == 90
        layouts: list[Any] = []
        real_refresh = view.refresh

        def spy(*args: Any, **kwargs: Any) -> Any:
            layouts.append(kwargs.get("layout", False))
            return real_refresh(*args, **kwargs)

        view.refresh = spy  # type: ignore[method-assign]
        grow_virtual_height(view, Size(39, 250))
        assert view.virtual_size == Size(39, 250)
        assert view.vertical_scrollbar.window_virtual_size == 250
        assert view.vertical_scrollbar.window_size == view.scrollable_content_region.height
        assert view.max_scroll_y == 240
        assert not any(layouts), "the point of it: no relayout of the screen"
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert view.scroll_y == 240


def test_lru_cache_drops_the_least_recently_read() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache["a"], cache["b"] = 1, 2
    assert cache.get("a") == 1  # "a" is now the newest
    cache["c"] = 3
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0
