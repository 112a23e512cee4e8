"""Reading and writing trace files.

``read_indexed(path)`` is how commands and new code read a trace file (steps on demand,
see ``store/lazy.py``); ``read_trace(path)`` builds every span in memory at once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from agentdbg.store.reader import TraceBuilder, read_trace
from agentdbg.store.writer import TraceWriter, encode_record, write_trace

if TYPE_CHECKING:
    from agentdbg.model.trace import Trace


def read_indexed(path: str | os.PathLike[str]) -> Trace:
    """``path`` as a ``Trace`` whose spans are read from the file on demand (``store/lazy.py``)."""
    from agentdbg.store.lazy import read_indexed as read

    return read(path)


__all__ = ["TraceBuilder", "TraceWriter", "encode_record", "read_indexed", "read_trace", "write_trace"]
