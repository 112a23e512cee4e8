"""Input tokens of each LLM call as a sparkline: context growth and overflow at a glance."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from agentdbg.render.formatting import fmt_tokens


class TokenChart(Vertical):
    """A label with the peak, and a sparkline of input tokens per LLM step."""

    def compose(self) -> ComposeResult:
        yield Static(Text("tokens in per LLM call", style="dim"), id="token-label")
        yield Sparkline([], id="token-spark")

    values: list[float] = []

    def set_data(self, values: list[float]) -> None:
        self.values = values
        self._label()
        self.query_one("#token-spark", Sparkline).data = downsample(values, 400)

    def on_resize(self, event: events.Resize) -> None:
        self._label()

    def _label(self) -> None:
        """The figures first; the words around them only where the column is wide enough."""
        values = self.values
        room = self.content_region.width
        if values:
            peak, last = fmt_tokens(int(max(values))), fmt_tokens(int(values[-1]))
            longest = f"{len(values):,} calls · peak {peak} · last {last}"
            shorter = (longest, f"peak {peak} · last {last}", f"peak {peak}")
            figures = next((text for text in shorter if len(text) <= room), shorter[-1])
        else:
            figures = "(no LLM calls)"
        prefix = next(
            (words for words in ("tokens in per LLM call  ", "tokens in  ") if len(words + figures) <= room),
            "",
        )
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(prefix, style="dim")
        label.append(figures, style="#8787d7" if values else "dim")
        self.query_one("#token-label", Static).update(label, layout=False)  # one fixed-height line


def downsample(values: list[float], points: int) -> list[float]:
    """At most ``points`` values, each the maximum of its bucket (peaks survive, 100k calls stay cheap)."""
    if len(values) <= points:
        return list(values)
    size = len(values) / points
    return [max(values[int(i * size) : max(int(i * size) + 1, int((i + 1) * size))]) for i in range(points)]
