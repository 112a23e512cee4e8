"""Step alignment for ``diff``: difflib's answer on small runs, a linear-ish anchored one on big runs."""

from __future__ import annotations

import difflib
import random
import time

import pytest

from agentdbg.analysis import alignment
from agentdbg.analysis.alignment import opcodes


def _check_cover(a: list[str], b: list[str], codes: list[tuple[str, int, int, int, int]]) -> int:
    """The opcodes walk both sequences in order without gaps; returns how many items they call equal."""
    ia = ja = equal = 0
    for tag, i1, i2, j1, j2 in codes:
        assert (i1, j1) == (ia, ja)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            equal += i2 - i1
        ia, ja = i2, j2
    assert (ia, ja) == (len(a), len(b))
    return equal


def _edited(rng: random.Random, a: list[str]) -> list[str]:
    b = list(a)
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.3 and b:
            del b[rng.randrange(len(b))]
        elif roll < 0.6:
            b.insert(rng.randint(0, len(b)), rng.choice("xyz"))
        elif b:
            b[rng.randrange(len(b))] = "q"
    return b


def test_small_inputs_get_difflibs_exact_opcodes() -> None:
    rng = random.Random(7)
    for _ in range(200):
        a = [rng.choice("abcdef") for _ in range(rng.randint(0, 60))]
        b = _edited(rng, a)
        assert opcodes(a, b) == difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


def test_anchored_alignment_is_a_valid_alignment_close_to_difflibs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alignment, "SMALL", 40)  # force the anchored path on small, checkable inputs
    rng = random.Random(3)
    for _ in range(300):
        a = [rng.choice("abcdefghij") + str(rng.randint(0, 30)) for _ in range(rng.randint(0, 90))]
        b = _edited(rng, a)
        found = _check_cover(a, b, opcodes(a, b))
        best = sum(
            i2 - i1
            for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
            if tag == "equal"
        )
        assert found >= 0.7 * best


def test_big_repetitive_runs_align_fast() -> None:
    steps = [("llm", "chat"), ("tool", "search")] * 50_000  # two signatures: difflib's worst case
    other = steps[:60_000] + [("tool", "read_file")] + steps[60_000:]
    started = time.process_time()
    same = opcodes(steps, steps)
    codes = opcodes(steps, other)
    took = time.process_time() - started
    assert same == [("equal", 0, len(steps), 0, len(steps))]
    assert _check_cover(steps, other, codes) == len(steps)
    assert ("insert", 60_000, 60_000, 60_000, 60_001) in codes
    assert took < 5.0
