"""Open any supported trace file: agentdbg's own JSONL or another tool's format.

Each importer module registers an ``Importer`` (name, ``sniff`` on the first
bytes of the file, ``load`` returning a ``Trace``). Detection is by content,
never by file name; ``format=`` forces one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentdbg.errors import ImportFormatError, NotATraceError, TraceReadError
from agentdbg.importers._input import describe, input_file
from agentdbg.model.trace import Trace
from agentdbg.store.reader import read_trace

SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Importer:
    """A foreign format: ``sniff(head, path)`` says whether a file looks like it; ``load(path)`` converts it."""

    name: str
    description: str
    sniff: Callable[[bytes, Path], bool]
    load: Callable[[Path], Trace]


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    IMPORTERS[importer.name] = importer
    return importer


def _native_sniff(head: bytes, path: Path) -> bool:
    first = head.lstrip()[:4096]
    return first.startswith(b"{") and (
        b'"type":"trace"' in first.replace(b" ", b"") or b'"type":"span' in first.replace(b" ", b"")
    )


register(
    Importer("agentdbg", "agentdbg JSONL trace (schema 1 or 2)", _native_sniff, lambda path: read_trace(path))
)


_builtins_loaded = False


def _load_builtin_importers() -> None:
    """Import the importer modules once so they register themselves."""
    global _builtins_loaded
    if _builtins_loaded:
        return
    _builtins_loaded = True
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


def detect_format(path: str | os.PathLike[str]) -> str:
    """The name of the format of ``path``, decided from its content.

    Raises:
        TraceReadError: the file cannot be read.
        ImportFormatError: no importer recognises it and it is not our format (one line: what it
            looks like, the formats tried, ``agentdbg formats``).
    """
    return _detect(input_file(path), Path(path))


# A line of our own format anywhere in the head (the header may be long, or its ``type`` key late).
_NATIVE_RECORD = re.compile(rb'"type"\s*:\s*"(?:trace|span_start|span_end|span)"')
_SNIFF_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError, OverflowError)


def _sniffs(importer: Importer, head: bytes, path: Path) -> bool:
    try:
        return bool(importer.sniff(head, path))
    except _SNIFF_ERRORS:  # a sniffer choking on odd content (``"type": {}``) just does not claim the file
        return False


def _detect(readable: Path, shown: Path) -> str:
    try:
        with open(readable, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise TraceReadError(f"cannot open {shown}: {exc.strerror or exc}") from exc
    if _native_sniff(head, readable):
        return "agentdbg"  # ours: the foreign importers need not even be imported
    _load_builtin_importers()
    for importer in IMPORTERS.values():
        if importer.name != "agentdbg" and _sniffs(importer, head, readable):
            return importer.name
    if not head or _NATIVE_RECORD.search(head):
        return "agentdbg"  # ours (bad lines are named by the reader), or empty (open_trace says so)
    raise NotATraceError(
        f"{shown}: not a trace agentdbg can read: it looks like {describe(head)}; "
        f"formats tried: {', '.join(IMPORTERS)}; run `agentdbg formats` to see what each reads"
    )


def open_trace(path: str | os.PathLike[str], format: str | None = None, *, lazy: bool = False) -> Trace:
    """Load ``path`` as a ``Trace``, detecting its format unless ``format`` names one.

    ``lazy=True``: an agentdbg file is read through the offset index (``store.read_indexed``:
    steps parsed on demand, a pass over ``trace.spans`` streams); other formats load whole.

    Raises:
        TraceReadError: the file cannot be read.
        ImportFormatError: ``format`` names no known format.
    """
    file_path = Path(path)
    if not file_path.exists():
        raise TraceReadError(f"{file_path}: no such file")
    if file_path.is_dir():
        raise TraceReadError(f"{file_path} is a directory, not a trace file")
    readable = input_file(file_path)  # a pipe, FIFO, device or CR-only file: a bounded private copy
    if format is None and readable.stat().st_size == 0:  # a forced format's importer reports it
        raise TraceReadError(f"{file_path}: empty file (0 bytes); nothing to read")
    name = format or _detect(readable, file_path)
    if name != "agentdbg":
        _load_builtin_importers()
    importer = IMPORTERS.get(name)
    if importer is None:
        raise ImportFormatError(
            f"unknown format {name!r}", hint=f"known formats: {', '.join(sorted(IMPORTERS))}"
        )
    if lazy and name == "agentdbg":
        from agentdbg.store.lazy import read_indexed

        return _shown_as(read_indexed(readable), file_path, readable)
    if lazy and readable == file_path:  # a big foreign file: converted once, then read through the index
        from agentdbg.importers._converted import min_bytes, open_converted

        if file_path.stat().st_size >= min_bytes():
            return open_converted(file_path, name, lambda: _imported(importer, name, file_path))
    return _shown_as(_imported(importer, name, readable, file_path), file_path, readable)


def _imported(importer: Importer, name: str, readable: Path, file_path: Path | None = None) -> Trace:
    """``readable`` loaded by ``importer`` (named after ``file_path``, the file the user gave)."""
    file_path = file_path or readable
    try:
        trace = importer.load(readable)
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        RecursionError,
        OverflowError,
    ) as exc:
        # importers turn bad input into problems; this is the last guard, so a user never sees a traceback
        raise ImportFormatError(
            f"the {name} importer could not read {file_path}: {type(exc).__name__}: {exc}",
            hint="check --format (run `agentdbg formats`); if the file is valid, please report it",
        ) from exc
    trace.format = name
    if trace.source is None:
        trace.source = str(file_path)
    return trace


def _shown_as(trace: Trace, path: Path, readable: Path) -> Trace:
    """Name the file the user gave, not the private copy a pipe was read into."""
    if readable != path:
        copy = str(readable)
        trace.source = str(path) if trace.source in (None, copy) else trace.source
        for problem in trace.problems:
            if problem.path == copy:
                problem.path = str(path)
    return trace


__all__ = ["IMPORTERS", "Importer", "detect_format", "open_trace", "register"]
