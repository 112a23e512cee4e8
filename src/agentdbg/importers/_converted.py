"""Big foreign files converted once to our format, then read through the offset index.

Opening a 1 GB Claude Code session through its importer builds every span in memory, every
time. The first lazy open (``open_trace(..., lazy=True)``: show, validate, replay
--show-document) of a foreign file of at least ``CONVERT_MIN_BYTES`` writes what the importer
built as an agentdbg trace into the cache next to the search cache
(``store.cache.cache_dir() / "converted"``), keyed by the file's resolved path, size and
modification time (and its companions': a Claude Code session's sub-agent files), the format and
the agentdbg version; later opens read that file through
``store.read_indexed`` (one step parsed on demand, passes stream) and get the importer's
problems back from a sidecar, so they read as the import did. A changed source (size or mtime)
is converted again; one conversion is kept per source path. If the cache cannot be written, the
import is used as it is. The converted file is written by ``TraceWriter`` like any trace, so
key-shaped strings in it are masked.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import orjson

from agentdbg import __version__
from agentdbg.model.problems import Problem
from agentdbg.model.records import SCHEMA_VERSION
from agentdbg.model.trace import LazySpans, Trace
from agentdbg.store.cache import cache_dir

CONVERT_MIN_BYTES = 8 << 20  # smaller files import faster than a cache round trip is worth
CONVERTED_DIR = "converted"


def min_bytes() -> int:
    """The size from which foreign files are converted (``AGENTDBG_CONVERT_MIN_BYTES`` overrides)."""
    given = os.environ.get("AGENTDBG_CONVERT_MIN_BYTES", "")
    return int(given) if given.isdigit() else CONVERT_MIN_BYTES


def _companions(source: Path, format_name: str) -> list[Path]:
    """Other files the import reads: a Claude Code session's sub-agent transcripts (both layouts)."""
    if format_name != "claude-code":
        return []
    folder = source.with_suffix("")
    found = [*folder.glob("subagents/agent-*.jsonl"), *folder.glob("agent-*.jsonl")]
    found.extend(source.parent.glob("agent-*.jsonl"))
    return sorted(path for path in found if path != source)


def cached_paths(source: Path, format_name: str) -> tuple[Path, Path]:
    """(converted trace, sidecar) for ``source`` as it is now (size and mtime in the key, its companions' too)."""
    resolved = source.resolve()
    stat = resolved.stat()
    place = hashlib.sha1(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}:{format_name}:{__version__}:{SCHEMA_VERSION}"
    for companion in _companions(resolved, format_name):
        seen = companion.stat()
        stamp += f"|{companion.name}:{seen.st_size}:{seen.st_mtime_ns}"
    version = hashlib.sha1(stamp.encode()).hexdigest()[:16]
    folder = cache_dir() / CONVERTED_DIR
    return folder / f"{place}-{version}.jsonl", folder / f"{place}-{version}.json"


def _write(trace: Trace, data: Path, sidecar: Path) -> None:
    from agentdbg.store.writer import write_trace

    data.parent.mkdir(parents=True, exist_ok=True)
    for old in data.parent.glob(data.name.split("-")[0] + "-*"):  # an earlier version of this source
        old.unlink(missing_ok=True)
    meta = {
        "format": trace.format,
        "source": trace.source,
        "problems": [problem.model_dump() for problem in trace.problems],
    }
    fd, scratch = tempfile.mkstemp(dir=data.parent, prefix=".converting-", suffix=".jsonl")
    os.close(fd)
    try:
        write_trace(scratch, trace, overwrite=True)
        sidecar.write_bytes(orjson.dumps(meta))
        os.replace(scratch, data)  # the trace last: a sidecar without its trace is never read
    finally:
        Path(scratch).unlink(missing_ok=True)


def _read(data: Path, sidecar: Path) -> Trace | None:
    from agentdbg.store.lazy import read_indexed

    try:
        meta = orjson.loads(sidecar.read_bytes())
        problems = [Problem.model_validate(problem) for problem in meta["problems"]]
        trace = read_indexed(data)
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    trace.format = meta["format"]
    trace.source = meta["source"]
    if isinstance(trace.spans, LazySpans):  # its messages name the user's file, not the cache
        trace.spans.store.source = meta["source"]  # type: ignore[attr-defined]
    trace.problems = problems + trace.problems
    return trace


def open_converted(source: Path, format_name: str, load: Callable[[], Trace]) -> Trace:
    """``source`` read through its converted copy (made from ``load()`` the first time)."""
    try:
        data, sidecar = cached_paths(source, format_name)
    except OSError:
        return load()
    if data.exists():
        cached = _read(data, sidecar)
        if cached is not None:
            return cached
    trace = load()
    try:
        _write(trace, data, sidecar)
    except OSError:
        return trace  # a read-only or full cache: the import as it is
    del trace
    return _read(data, sidecar) or load()


__all__ = ["CONVERT_MIN_BYTES", "cached_paths", "min_bytes", "open_converted"]
