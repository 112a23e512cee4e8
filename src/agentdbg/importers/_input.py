"""Opening an input safely: pipes, FIFOs and devices, CR-only line ends, and saying what a file looks like.

Readers and importers want a regular file they can seek in (format sniffing reads the
head, the index reads offsets). ``input_file`` returns the path itself for an ordinary
file, and otherwise a private temporary copy, made once per process:

- a pipe, FIFO or device (``/dev/stdin``, ``<(...)``, ``/dev/zero``) is copied with bounds:
  at most ``MAX_STREAM_BYTES`` in all, ``MAX_STREAM_LINE`` per line, and no more than
  ``STREAM_IDLE_SECONDS`` without data (a FIFO nobody writes to never hangs a command);
- a file whose lines end in a bare CR (old Mac style) is copied with LF line ends.

``describe`` names what a file that no importer recognised looks like, for the one-line error.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import shutil
import stat
import tempfile
import threading
from pathlib import Path

import orjson

from agentdbg.errors import TraceReadError
from agentdbg.textsafe import safe_line

MAX_STREAM_BYTES = 256 * 1024 * 1024
MAX_STREAM_LINE = 64 * 1024 * 1024
STREAM_IDLE_SECONDS = float(os.environ.get("AGENTDBG_PIPE_TIMEOUT", "10"))
_CHUNK = 1 << 20
_MIB = 1024 * 1024

_copies: dict[str, Path] = {}
_lock = threading.Lock()
_tmpdir: str | None = None


def _cleanup() -> None:
    if _tmpdir is not None:
        shutil.rmtree(_tmpdir, ignore_errors=True)


def _new_copy(name: str) -> Path:
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="agentdbg-input-")
        atexit.register(_cleanup)
    base = Path(name).name or "input"
    return Path(tempfile.mkstemp(dir=_tmpdir, prefix=f"{base}-", suffix=".jsonl")[1])


def input_file(path: str | os.PathLike[str]) -> Path:
    """A regular file holding ``path``'s content: ``path`` itself, or a bounded private copy (see module doc).

    Raises:
        TraceReadError: a pipe or device gave too much, a too-long line, or nothing for too long.
    """
    file_path = Path(path)
    key = str(file_path)
    with _lock:
        if key in _copies:
            return _copies[key]
        try:
            mode = os.stat(file_path).st_mode
        except OSError:
            return file_path  # the caller names the problem
        if stat.S_ISDIR(mode):
            return file_path
        if stat.S_ISREG(mode):
            if not _cr_only(file_path):
                return file_path
            copy = _new_copy(key)
            _copy_cr_lines(file_path, copy)
        else:
            copy = _new_copy(key)
            try:
                _copy_stream(file_path, copy)
            except BaseException:
                copy.unlink(missing_ok=True)
                raise
            if _cr_only(copy):
                lf_copy = _new_copy(key)
                _copy_cr_lines(copy, lf_copy)
                copy.unlink()
                copy = lf_copy
        _copies[key] = copy
        return copy


def is_copy(original: str | os.PathLike[str], opened: Path) -> bool:
    return Path(original) != opened


def _cr_only(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return False
    return b"\r" in head and b"\n" not in head


def _copy_cr_lines(source: Path, target: Path) -> None:
    try:
        with open(source, "rb") as src, open(target, "wb") as out:
            while chunk := src.read(_CHUNK):
                out.write(chunk.replace(b"\r", b"\n"))
    except OSError as exc:
        raise TraceReadError(f"cannot read {source}: {exc.strerror or exc}") from exc


def _copy_stream(source: Path, target: Path) -> None:
    """Copy a pipe/FIFO/device into ``target`` within the bounds; never blocks past the idle timeout."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO with no writer opens at once
    except OSError as exc:
        raise TraceReadError(f"cannot open {source}: {exc.strerror or exc}") from exc
    total = 0
    line = 0  # bytes since the last newline
    number = 1
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    try:
        with open(target, "wb") as out:
            while True:
                if not poller.poll(STREAM_IDLE_SECONDS * 1000):
                    raise TraceReadError(
                        f"{source}: no data for {STREAM_IDLE_SECONDS:g} s from this pipe or device "
                        "(is anything writing to it?); set AGENTDBG_PIPE_TIMEOUT to wait longer"
                    )
                try:
                    chunk = os.read(fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    return
                total += len(chunk)
                if total > MAX_STREAM_BYTES:
                    raise TraceReadError(
                        f"{source}: more than {MAX_STREAM_BYTES // _MIB} MiB from a pipe or device; "
                        "save it to a file first (files have no such bound)"
                    )
                newlines = chunk.count(b"\n") or chunk.count(b"\r")  # CR-only line ends count too
                if newlines:
                    number += newlines
                    line = len(chunk) - max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) - 1
                else:
                    line += len(chunk)
                if line > MAX_STREAM_LINE:
                    raise TraceReadError(
                        f"{source}: line {number} is longer than {MAX_STREAM_LINE // _MIB} MiB "
                        "(lines read from a pipe or device are bounded; is this a trace?)"
                    )
                out.write(chunk)
    except OSError as exc:
        raise TraceReadError(f"cannot read {source}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


# ------------------------------------------------------------- what it looks like

_MAGIC = (
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\x7fELF", "an executable (ELF)"),
)


def is_binary(head: bytes) -> bool:
    """True for bytes that are not UTF-8 text (NUL bytes, invalid sequences, mostly control bytes)."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut by the end of the head
            return True
    controls = sum(1 for byte in head[:4096] if byte < 32 and byte not in (9, 10, 13))
    return controls * 10 > min(len(head), 4096)


def _keys(value: dict[object, object]) -> str:
    keys = [safe_line(str(key))[:40] for key in list(value)[:6]]
    more = ", …" if len(value) > 6 else ""
    return (", ".join(keys) + more) if keys else "none"


def describe(head: bytes) -> str:
    """A few words on what ``head`` (a file's first bytes) looks like: JSON with which keys, text, binary."""
    if not head.strip():
        return "an empty file" if not head else "a file of only whitespace"
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if is_binary(head):
        return f"binary data (first bytes {head[:8].hex(' ')})"
    stripped = head.strip()
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        whole = None
    first_line = stripped.split(b"\n", 1)[0].strip()
    try:
        first = orjson.loads(first_line) if whole is None else whole
    except orjson.JSONDecodeError:
        first = None
    lines = "JSON lines whose first object" if whole is None and first is not None else "a JSON object that"
    if isinstance(first, dict):
        kind = orjson.dumps(first.get("type"), default=str).decode()
        typed = f' ("type": {safe_line(kind)[:40]})' if "type" in first else ""
        return f"{lines} has keys {_keys(first)}{typed}"
    if isinstance(first, list):
        return f"a JSON array of {len(first)} item(s)" if whole is not None else "JSON lines of arrays"
    if first is not None:
        return f"a JSON {type(first).__name__} value"
    if stripped[:1] in (b"{", b"["):
        return "JSON that does not parse (cut short, or not JSON after all)"
    text = safe_line(stripped[:60].decode("utf-8", "replace"))
    return f"text starting {text!r}"
