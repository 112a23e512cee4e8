"""The ``gen_ai.input.messages`` of a run's chat spans, each conversation's items encoded once and joined in place.

Step N of a conversation sends step N-1's history plus its new messages (the very ``Message``
objects, as ``llm_chain`` carries them). A buffer per recent conversation holds its items' bytes
(masked, comma-joined); a span whose history extends a buffer appends its new items and is written
straight from it, so the history costs its new items and one write, never a join or a lookup per item.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import is_

from agentdbg.model.messages import Message


class _Buffer:
    """One conversation's latest history: its messages and their items' bytes, comma-joined."""

    __slots__ = ("data", "ends", "messages")

    def __init__(self) -> None:
        self.data = bytearray()
        self.ends: list[int] = []  # ends[i]: len(data) after item i
        self.messages: list[Message] = []


def shared_prefix(mine: list[Message], theirs: list[Message]) -> int:
    """How many leading messages two lists share, as objects (compared in C; binary search otherwise)."""
    limit = min(len(mine), len(theirs))
    if all(map(is_, mine[:limit], theirs[:limit])):  # the usual case: one extends the other
        return limit
    low, high = 0, limit - 1  # mine[:low] is shared, mine[:high + 1] is not
    while low < high:
        middle = (low + high + 1) // 2
        if all(map(is_, mine[:middle], theirs[:middle])):
            low = middle
        else:
            high = middle - 1
    return low


class HistoryBuffers:
    """The histories of the conversations a run interleaves (sub-agents), most recent first."""

    COUNT = 4

    def __init__(self) -> None:
        self._buffers = [_Buffer() for _ in range(self.COUNT)]
        self._lent: memoryview | None = None

    def joined(self, history: list[Message], item: Callable[[Message], bytes]) -> memoryview:
        """``b",".join(map(item, history))``, lent: valid until the next call (the buffer grows in place)."""
        buffer, kept = self._closest(history)
        if self._lent is not None:
            self._lent.release()  # the previous span's view: written by now
        data = buffer.data
        if kept < len(buffer.messages):
            del data[buffer.ends[kept - 1] if kept else 0 :]
            del buffer.messages[kept:], buffer.ends[kept:]
        for message in history[kept:]:
            if buffer.ends:
                data += b","
            data += item(message)
            buffer.ends.append(len(data))
            buffer.messages.append(message)
        self._lent = view = memoryview(data)
        return view

    def _closest(self, history: list[Message]) -> tuple[_Buffer, int]:
        """The buffer sharing the longest prefix with ``history`` and that prefix's length; the least
        recent buffer (emptied) when none does."""
        buffers = self._buffers
        best, kept = buffers[-1], 0
        first = history[0] if history else None
        for buffer in buffers:
            messages = buffer.messages
            if messages and messages[0] is first:
                shared = shared_prefix(messages, history)
                if shared > kept:
                    best, kept = buffer, shared
        if buffers[0] is not best:
            buffers.remove(best)
            buffers.insert(0, best)
        return best, kept


__all__ = ["HistoryBuffers", "shared_prefix"]
