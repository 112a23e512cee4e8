"""Input tokens of each LLM call as a sparkline: context growth and overflow at a glance."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from agentdbg.render.formatting import fmt_tokens


class TokenChart(Vertical):
    """A label with the peak, and a sparkline of input tokens per LLM step."""

    def compose(self) -> ComposeResult:
        yield Static(Text("tokens in per LLM call", style="dim"), id="token-label")
        yield Sparkline([], id="token-spark")

    def set_data(self, values: list[float]) -> None:
        label = Text("tokens in per LLM call", style="dim", no_wrap=True, overflow="ellipsis")
        if values:
            label.append(
                f"  {len(values):,} calls · peak {fmt_tokens(int(max(values)))} · last {fmt_tokens(int(values[-1]))}",
                style="#8787d7",
            )
        else:
            label.append("  (no LLM calls)", style="dim")
        self.query_one("#token-label", Static).update(label, layout=False)  # one fixed-height line
        self.query_one("#token-spark", Sparkline).data = downsample(values, 400)


def downsample(values: list[float], points: int) -> list[float]:
    """At most ``points`` values, each the maximum of its bucket (peaks survive, 100k calls stay cheap)."""
    if len(values) <= points:
        return list(values)
    size = len(values) / points
    return [max(values[int(i * size) : max(int(i * size) + 1, int((i + 1) * size))]) for i in range(points)]
