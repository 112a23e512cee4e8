"""Aligning two step sequences in O(n log n): difflib's opcodes for small runs, anchors for big ones.

``difflib.SequenceMatcher`` is quadratic on long, repetitive sequences (an agent's
steps have few distinct (kind, name) signatures), which made ``diff`` take 92 s
on 20k steps. Small inputs keep difflib's exact answer; bigger ones strip the
shared prefix and suffix (a fork, or a run against itself, is then done), then
align the middle patience-style: signatures that occur once on each side are
anchors, the longest increasing run of anchors (O(k log k)) splits the middle,
and each gap is aligned the same way, with difflib once it is small.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Hashable, Sequence

Opcode = tuple[str, int, int, int, int]
SMALL = 4_000_000  # len(a) * len(b) at or below which difflib's own (quadratic) answer is used


def _difflib(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, j0: int) -> list[Opcode]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(tag, i1 + i0, i2 + i0, j1 + j0, j2 + j0) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def _lis(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest chain of pairs increasing in both positions (pairs come sorted by the first)."""
    tails: list[int] = []  # tails[k]: smallest second position ending a chain of length k + 1
    tail_at: list[int] = []
    back: list[int] = []
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(n)
        else:
            tails[k] = j
            tail_at[k] = n
        back.append(tail_at[k - 1] if k else -1)
    chain: list[tuple[int, int]] = []
    cursor = tail_at[-1] if tail_at else -1
    while cursor >= 0:
        chain.append(pairs[cursor])
        cursor = back[cursor]
    return chain[::-1]


def _middle(a: Sequence[Hashable], b: Sequence[Hashable], i0: int, i1: int, j0: int, j1: int) -> list[Opcode]:
    if i0 == i1 and j0 == j1:
        return []
    if i0 == i1:
        return [("insert", i0, i0, j0, j1)]
    if j0 == j1:
        return [("delete", i0, i1, j0, j0)]
    if (i1 - i0) * (j1 - j0) <= SMALL:
        return _difflib(a[i0:i1], b[j0:j1], i0, j0)
    count_a = Counter(a[i0:i1])
    count_b = Counter(b[j0:j1])
    where_b = {b[j]: j for j in range(j0, j1) if count_b[b[j]] == 1 and count_a.get(b[j]) == 1}
    pairs = [(i, where_b[a[i]]) for i in range(i0, i1) if a[i] in where_b]
    anchors = _lis(pairs)
    if not anchors:  # nothing unique to hold on to: pair in order, the rest is one replace
        return [("replace", i0, i1, j0, j1)]
    out: list[Opcode] = []
    ci, cj = i0, j0
    for ai, bj in anchors:
        out.extend(_middle(a, b, ci, ai, cj, bj))
        out.append(("equal", ai, ai + 1, bj, bj + 1))
        ci, cj = ai + 1, bj + 1
    out.extend(_middle(a, b, ci, i1, cj, j1))
    return out


def _merged(codes: list[Opcode]) -> list[Opcode]:
    """Adjacent opcodes of the same tag as one (difflib never emits two equal blocks in a row)."""
    out: list[Opcode] = []
    for code in codes:
        if out and out[-1][0] == code[0] and out[-1][2] == code[1] and out[-1][4] == code[3]:
            tag, i1, _, j1, _ = out[-1]
            out[-1] = (tag, i1, code[2], j1, code[4])
        else:
            out.append(code)
    return out


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()`` for small inputs; anchored above."""
    if len(a) * len(b) <= SMALL:
        return _difflib(a, b, 0, 0)
    head = 0
    limit = min(len(a), len(b))
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[len(a) - 1 - tail] == b[len(b) - 1 - tail]:
        tail += 1
    codes: list[Opcode] = []
    if head:
        codes.append(("equal", 0, head, 0, head))
    codes.extend(_middle(a, b, head, len(a) - tail, head, len(b) - tail))
    if tail:
        codes.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return _merged(codes)


__all__ = ["SMALL", "opcodes"]
