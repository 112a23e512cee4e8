"""Secrets: one set of rules for every place that must never show or store one.

Capture masks recorded content with it, the trace writer masks every line it writes
(imports, forks), exports mask their output, and ``textsafe`` masks what reaches a
terminal. Headers are never recorded at all; this guards content that quotes a key.

Three kinds of rule live here and nowhere else:

- key shapes (``SHAPES``): provider key formats, each found by a cheap substring hint
  before its regex runs. The shapes follow the denylists of Yelp's detect-secrets
  plugins (GitHub, JWT, Slack, Stripe, AWS, ...), ported rather than imported: we must
  replace matches inside every written line at write speed, on bytes, and
  detect-secrets only reports whether a line holds a secret (and brings keyword and
  entropy heuristics that would mangle hashes and ids in traces);
- known values (``register_secret``): the ``api_key`` a wrapped client or a replay
  really uses is masked by value wherever it appears, whatever its shape;
- URLs (``clean_url``): a URL written as a field keeps no ``user:password@`` part and
  no query values; in free text a URL's password and secret-named query values are masked.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

MASK = "[REDACTED]"
_MASK_BYTES = MASK.encode()
MIN_KNOWN_SECRET = 8  # shorter "keys" ("x", "none") are placeholders; masking them would mangle text


@dataclass(frozen=True)
class _Shape:
    """One key shape: substring hints (any present → run the regex), and the regex; group ``p`` is kept."""

    name: str
    hints: tuple[str, ...]
    pattern: str
    flags: int = 0
    gate: str = ""  # a substring every hint holds: the hints are only looked for when it is there

    def compiled(self) -> tuple[re.Pattern[str], re.Pattern[bytes], tuple[bytes, ...]]:
        return (
            re.compile(self.pattern, self.flags),
            re.compile(self.pattern.encode(), self.flags),
            tuple(hint.encode() for hint in self.hints),
        )

    def hinted(self, text: str) -> bool:
        return (not self.gate or self.gate in text) and any(map(text.__contains__, self.hints))


_AWS_CONTEXT = r"(?i:aws)[A-Za-z_.\- ]{0,20}(?i:secret)[A-Za-z_.\- ]{0,20}"
SHAPES = (
    _Shape(
        "openai/anthropic key",
        ("sk-",),
        r"\b(?P<p>sk-(?:ant-(?:api\d\d-)?|proj-|svcacct-|admin-)?)[A-Za-z0-9_\-]{12,}"
        # short keys: 4-11 characters with a digit, ending in a letter or digit (so masking twice is a no-op)
        r"|\b(?P<p2>sk-)(?=[A-Za-z0-9_\-]{0,10}\d)[A-Za-z0-9_\-]{3,10}[A-Za-z0-9](?![A-Za-z0-9_\-])",
    ),
    _Shape("stripe secret key", ("k_live_", "k_test_"), r"\b(?P<p>[sr]k_(?:live|test)_)[0-9A-Za-z]{10,}"),
    _Shape("aws access key id", ("AKIA", "ASIA"), r"\b(?P<p>AKIA|ASIA)[0-9A-Z]{16}\b"),
    _Shape(
        "aws secret access key",
        ("ecret", "ECRET"),
        r"(?P<p>" + _AWS_CONTEXT + r"(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])",
    ),
    _Shape("github token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), r"\b(?P<p>gh[pousr]_)[A-Za-z0-9_]{30,}"),
    _Shape("github fine-grained token", ("github_pat_",), r"\b(?P<p>github_pat_)[A-Za-z0-9_]{22,}"),
    _Shape("google api key", ("AIza",), r"\b(?P<p>AIza)[0-9A-Za-z_\-]{30,}"),
    _Shape("slack token", ("xox",), r"\b(?P<p>xox[abposr]-)[0-9A-Za-z\-]{10,}"),
    _Shape("hugging face token", ("hf_",), r"\b(?P<p>hf_)[A-Za-z0-9]{30,}"),
    _Shape("jwt", ("eyJ",), r"\b(?P<p>)eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*"),
    _Shape("bearer token", ("earer",), r"\b(?P<p>[Bb]earer\s+)[A-Za-z0-9._~+/=\-]{8,}"),
    _Shape("url password", ("://",), r"(?P<p>://[^/\s:@\"'\\]*:)[^/\s@\"'\\]+(?=@)", gate="@"),
    _Shape(
        "url secret query value",
        ("key=", "Key=", "KEY=", "token=", "Token=", "TOKEN=", "secret=", "password=", "sig=", "signature=", "auth="),
        r"(?P<p>[?&](?i:api[-_]?key|key|token|access[-_]?token|secret|password|sig|signature|auth)=)"
        r"[^&#\s\"'\\]+",
        gate="=",
    ),
)
_COMPILED = tuple(shape.compiled() for shape in SHAPES)
_ALL_HINTS = tuple(dict.fromkeys(hint for shape in SHAPES for hint in ((shape.gate,) if shape.gate else shape.hints)))
_ALL_HINT_BYTES = tuple(hint.encode() for hint in _ALL_HINTS)
_GATES = tuple(shape.gate.encode() for shape in SHAPES)
# ``any(map(text.__contains__, hints))`` runs the loop in C: most lines hold no hint at all


def _any_of(words: tuple[str, ...]) -> str:
    """A regex finding any of ``words``, as a trie: one pass over the text instead of one scan per word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here: finding it is enough, longer words through here need not be tried

    def pattern(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return pattern(trie)


# Whether any hint is present at all (str, bytes): most lines hold none, and then nothing else is looked at.
_ANY_HINT = (re.compile(_any_of(_ALL_HINTS)), re.compile(_any_of(_ALL_HINTS).encode()))

# Known secret values (the client's own api_key): str regex, bytes regex, str hints, bytes hints.
_known_lock = threading.Lock()
_known_values: set[str] = set()
_known: tuple[re.Pattern[str], re.Pattern[bytes], tuple[str, ...], tuple[bytes, ...]] | None = None


def _json_escaped(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)[1:-1]


def register_secret(value: object) -> None:
    """Mask ``value`` (an API key actually used) wherever it appears from now on, whatever its shape."""
    global _known
    if not isinstance(value, str) or len(value) < MIN_KNOWN_SECRET or value in _known_values:
        return
    with _known_lock:
        _known_values.add(value)
        forms = sorted({form for v in _known_values for form in (v, _json_escaped(v))}, key=len, reverse=True)
        text = re.compile("|".join(re.escape(form) for form in forms))
        data = re.compile(b"|".join(re.escape(form.encode()) for form in forms))
        _known = (text, data, tuple(forms), tuple(form.encode() for form in forms))


def _prefix(match: re.Match[Any]) -> Any:
    groups = match.groupdict()
    return groups.get("p") or groups.get("p2")


def _mask_match(match: re.Match[str]) -> str:
    return (_prefix(match) or "") + MASK


def _mask_match_bytes(match: re.Match[bytes]) -> bytes:
    return (_prefix(match) or b"") + _MASK_BYTES


def _shapes_in(data: Any, all_hints: tuple[Any, ...], hint_index: int) -> list[tuple[int, re.Pattern[Any]]]:
    """The shapes whose hints ``data`` holds, found with one scan per hint (``hint_index``: 0 str, 1 bytes)."""
    if _ANY_HINT[hint_index].search(data) is None:
        return []
    present = {hint for hint in all_hints if hint in data}
    chosen: list[tuple[int, re.Pattern[Any]]] = []
    for number, shape in enumerate(SHAPES):
        hints = shape.hints if hint_index == 0 else _COMPILED[number][2]
        if shape.gate:
            gate = shape.gate if hint_index == 0 else _GATES[number]
            hit = gate in present and any(map(data.__contains__, hints))
        else:
            hit = any(map(present.__contains__, hints))
        if hit:
            text_pattern, bytes_pattern, _ = _COMPILED[number]
            chosen.append((number, text_pattern if hint_index == 0 else bytes_pattern))
    return chosen


def mask_secrets(text: str) -> str:
    """Replace secrets in ``text`` (key shapes, known keys, URL passwords) with a mask, keeping key prefixes."""
    for _, pattern in _shapes_in(text, _ALL_HINTS, 0):
        text = pattern.sub(_mask_match, text)
    known = _known  # after the shapes, so a key-shaped known key keeps its prefix (sk-proj-[REDACTED])
    if known is not None and any(map(text.__contains__, known[2])):
        text = known[0].sub(MASK, text)
    return text


def mask_secret_bytes(data: bytes) -> bytes:
    """``mask_secrets`` on encoded JSON or text (key characters never include quotes or backslashes)."""
    for _, pattern in _shapes_in(data, _ALL_HINT_BYTES, 1):
        data = pattern.sub(_mask_match_bytes, data)
    known = _known
    if known is not None and any(map(data.__contains__, known[3])):
        data = known[1].sub(_MASK_BYTES, data)
    return data


def has_secret_bytes(data: bytes) -> bool:
    """True when ``mask_secret_bytes`` would change ``data``."""
    known = _known
    if known is not None and any(map(data.__contains__, known[3])):
        return True
    return any(pattern.search(data) for _, pattern in _shapes_in(data, _ALL_HINT_BYTES, 1))


def clean_url(url: str | None) -> str | None:
    """``url`` fit to be written down: no ``user:password@`` part and no query values (names kept)."""
    if not url:
        return url
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:  # not parseable as a URL: keep only what cannot hold a secret
        return str(url).split("?", 1)[0].rsplit("@", 1)[-1]
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal
    netloc = host + (f":{port}" if port else "")
    query = "&".join(f"{name}={MASK}" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
