"""Durations and token counts as every view prints them."""

from __future__ import annotations

import pytest

from agentdbg.formatting import fmt_duration, fmt_tokens


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "—"),
        (0.0, "0ms"),
        (0.35, "350ms"),
        (0.9994, "999ms"),
        (0.9996, "1.00s"),  # rounds to a whole second: said in seconds, not "1000ms"
        (2.414, "2.41s"),
        (59.994, "59.99s"),
        (59.996, "1m00s"),  # not "60.00s"
        (572.45, "9m32s"),
        (899.99, "15m00s"),  # not "14m60s" (a 1 GB trace's header showed that)
        (3599.6, "1h00m"),
        (87_899, "24h24m"),
    ],
)
def test_durations_round_before_the_unit_is_chosen(seconds, shown):
    assert fmt_duration(seconds) == shown


def test_token_counts():
    assert [fmt_tokens(count) for count in (None, 0, 9999, 10_000, 51_933)] == [
        "—",
        "0",
        "9999",
        "10.0k",
        "51.9k",
    ]
