"""Neutralise untrusted text before it reaches a terminal.

Trace content is written by models and tools; it may hold escape sequences
(CSI, OSC 52 clipboard writes, OSC 8 links), bell and backspace characters or
bidi overrides. ``safe_text`` turns every such character into a visible literal
escape (``\\x1b``), keeping newlines and tabs. Markup is not this module's
concern: renderers build ``rich.text.Text`` objects, which never parse markup.
"""

from __future__ import annotations

import re
from typing import Any

from agentdbg.secrets import mask_secrets

# C0 controls except \t and \n, DEL, C1 controls, bidi embedding/override/isolate
# marks, and line/paragraph separators that some terminals honour.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """Return ``text`` with control and bidi characters shown as literal escapes and keys masked."""
    text = mask_secrets(text)
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)


def safe_line(text: str) -> str:
    """Like ``safe_text`` but also makes newlines and tabs visible, for one-line cells."""
    return safe_text(text).replace("\r", "\\r").replace("\n", "⏎ ").replace("\t", " ")


class TerminalSafeWriter:
    """A stdout for raw results (``cat``, ``import``, ``export``) when it is a terminal.

    Whole lines are decoded (bytes that are not UTF-8 shown as ``\\xNN``) and passed through
    ``safe_text``, so escape sequences, C1 controls and bidi marks in trace content arrive as
    visible literals; newlines and tabs stay. On a pipe or a file use the real stdout instead:
    there the bytes must stay exact.
    """

    def __init__(self, out: Any) -> None:
        self._out = out
        self._pending = b""

    def write(self, data: bytes | str) -> int:
        chunk = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            self._out.write(self._escape(line) + b"\n")
        return len(data)

    def flush(self) -> None:
        if self._pending:
            self._out.write(self._escape(self._pending))
            self._pending = b""
        self._out.flush()

    @staticmethod
    def _escape(line: bytes) -> bytes:
        return safe_text(line.decode("utf-8", "backslashreplace")).encode("utf-8")
