"""``lexical._words`` (the str-method split of ASCII text) cuts every text exactly where ``_WORD`` does."""

from __future__ import annotations

import random
from pathlib import Path

from agentdbg.analysis.lexical import _WORD, _words, terms

SAMPLES = Path(__file__).resolve().parents[2] / "sample_traces"


def test_random_texts_split_as_the_regex_splits_them() -> None:
    rng = random.Random(15)
    alphabet = "aAbZz09 _-.,'\"\n\t{}:éÉß١"  # letters, digits, separators, non-ASCII letters and digits
    fast = 0
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert _words(text) == _WORD.findall(text), repr(text)
        fast += text.isascii()
    assert fast > 1_000  # the str-method path was taken


def test_real_texts_split_as_the_regex_splits_them() -> None:
    lines = [line for path in sorted(SAMPLES.glob("*.jsonl")) for line in path.read_text().splitlines()]
    words = ["HTTPServer", "getWeather", "gpt4o", "Paris", "PARIS", "paris", "v2", "ABc", "aB", "x_y", "42nd"]
    for text in [*lines, *words, " ".join(words), "The weather in Paris, London and NYC."]:
        assert _words(text) == _WORD.findall(text), text[:80]
    assert terms("Weather forecasts in Paris for 2024") == ["weather", "forecast", "pari", "2024"]
