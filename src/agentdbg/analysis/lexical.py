"""Word-level relevance without a model: tokens, a light stemmer, stopwords, overlap scores.

Used by the wrong-tool and retrieval detectors; every score is a share of
query terms found, so it can be explained in one sentence.
"""

from __future__ import annotations

import functools
import math
import re
import string
from collections.abc import Iterable, Set

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+|[^\W\d_]+", re.UNICODE)
# ASCII text (as bytes: ``bytes.translate`` is a table lookup per byte, several times ``str.translate``) as
# one class letter per character (a lower, A upper, 0 digit, space anything else), and as its letters and
# digits with everything else a space (``_words``)
_CLASSES = bytes(
    ord("a") if chr(code) in string.ascii_lowercase
    else ord("A") if chr(code) in string.ascii_uppercase
    else ord("0") if chr(code) in string.digits
    else ord(" ")
    for code in range(256)
)  # fmt: skip
_SEPARATORS = bytes(code if code < 128 and chr(code).isalnum() else ord(" ") for code in range(256))
_SPLITS = (b"aA", b"AAa", b"a0", b"A0", b"0a", b"0A")  # where ``_WORD`` cuts a run of letters and digits

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further get got had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our out over own please same she should so some such than that the their them then there these
    they this those through to too under until up use used using very via want was we were what when where which
    while who whom why will with would you your yours tell give find show let make need also like one two new
    tool tools call calls function result results return returns value values args arguments input output string
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def stem(word: str) -> str:
    """A tiny suffix stripper: enough for ``forecasts``/``forecast`` and ``booking``/``book``."""
    for suffix, keep in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def _term_of(raw: str) -> str:
    """The content term of one raw word, or ``""`` when it is not one (too short, a stopword, a small number)."""
    word = raw.lower()
    if len(word) < 2 or word in STOPWORDS or word.isdigit() and len(word) < 3:
        return ""
    return stem(word)


class _Terms(dict[str, str]):
    """Raw word -> term (``""`` for none), each worked out once: runs repeat a small vocabulary."""

    def __missing__(self, raw: str) -> str:
        term = self[raw] = _term_of(raw)
        return term


_TERM_OF = _Terms()
_MAX_WORDS = 200_000


def _words(text: str) -> list[str]:
    """``_WORD.findall(text)``. An ASCII text in which no run of letters and digits changes from lower to
    upper case, from a capitalised acronym to a word (``HTTPServer``) or between letters and digits is
    cut at everything but letters and digits, exactly where ``_WORD`` cuts it (each of its alternatives
    takes a whole such run: ``word``, ``Word``, ``WORD``, ``42``), by ``str`` methods instead of the regex."""
    if text.isascii():
        data = text.encode("ascii")
        classes = data.translate(_CLASSES)
        if (b"A" not in classes and b"0" not in classes) or not any(cut in classes for cut in _SPLITS):
            return data.translate(_SEPARATORS).decode("ascii").split()
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Content terms of ``text``: split on case and punctuation, lower-cased, stopwords dropped, stemmed."""
    known = _TERM_OF
    if len(known) > _MAX_WORDS:  # bound the memo on texts with an unbounded vocabulary (ids, hashes)
        known.clear()
    return list(filter(None, map(known.__getitem__, _words(text or ""))))


@functools.lru_cache(maxsize=4096)
def _cached_terms(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def term_set(text: str) -> frozenset[str]:
    """Distinct content terms of ``text`` (cached: tool descriptions and requests repeat on every step)."""
    return _cached_terms(text) if len(text) <= 2_000 else frozenset(terms(text))


def coverage(query_terms: Iterable[str], document_terms: Set[str]) -> tuple[float, list[str]]:
    """Share of distinct query terms present in the document, and which ones matched."""
    distinct = sorted(set(query_terms))
    if not distinct:
        return 0.0, []
    matched = [term for term in distinct if term in document_terms]
    return len(matched) / len(distinct), matched


def idf_weights(documents: list[set[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency over a small set of documents."""
    count = len(documents)
    frequency: dict[str, int] = {}
    for document in documents:
        for term in document:
            frequency[term] = frequency.get(term, 0) + 1
    return {term: math.log(1 + (count + 1) / (seen + 0.5)) for term, seen in frequency.items()}


def snippet(text: str, limit: int = 80) -> str:
    """The start of ``text`` on one line, with an ellipsis when cut."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


__all__ = ["STOPWORDS", "coverage", "idf_weights", "snippet", "stem", "term_set", "terms"]
