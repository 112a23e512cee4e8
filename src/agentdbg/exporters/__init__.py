"""Write a trace in another format: OTLP JSON for OpenTelemetry backends, one HTML file for people.

Each exporter turns a ``Trace`` into text; ``export_trace`` writes it to a file (atomically, via
a temporary file renamed into place) or returns it. Domain code: no rich, no textual.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from agentdbg.errors import ExportError
from agentdbg.model.trace import Trace
from agentdbg.secrets import mask_secrets

Render = Callable[[Trace], str | Iterable[str]]  # an exporter's text: whole, or in pieces masked one by one


@dataclass(frozen=True)
class Exporter:
    """An output format: ``render(trace)`` gives the whole file as text."""

    name: str
    description: str
    suffix: str
    render: Callable[[Trace], str]
    chunks: Callable[[Trace], Iterator[str]] | None = None  # the file in pieces, written as produced
    masked_bytes: Callable[[Trace], Iterator[bytes]] | None = None  # the file in UTF-8 pieces, already masked
    write: Callable[[Trace, Callable[[Any], object]], None] | None = None  # masked_bytes, each piece handed to
    # a binary stream's ``write`` as it is made (a piece may be a buffer lent only for that call)


def _otlp_json(trace: Trace) -> str:
    from agentdbg.exporters.otlp_json import otlp_json_bytes

    return b"".join(otlp_json_bytes(trace)).decode("utf-8")  # one line: the OTLP JSON-lines file form


def _html(trace: Trace) -> str:
    from agentdbg.exporters.html import to_html

    return to_html(trace)


def _otlp_bytes(trace: Trace) -> Iterator[bytes]:
    from agentdbg.exporters.otlp_json import otlp_json_bytes

    return otlp_json_bytes(trace)


def _otlp_write(trace: Trace, write: Callable[[Any], object]) -> None:
    from agentdbg.exporters.otlp_json import write_otlp_json

    write_otlp_json(trace, write)


def _html_bytes(trace: Trace) -> Iterator[bytes]:
    from agentdbg.exporters.html import page_bytes

    return page_bytes(trace)


def _markdown(trace: Trace) -> str:
    from agentdbg.exporters.markdown import trace_markdown

    return trace_markdown(trace)


EXPORTERS: dict[str, Exporter] = {
    exporter.name: exporter
    for exporter in (
        Exporter(
            "otlp-json",
            "OTLP JSON (resourceSpans) with OpenTelemetry GenAI semantic conventions",
            ".json",
            _otlp_json,
            masked_bytes=_otlp_bytes,
            write=_otlp_write,
        ),
        Exporter(
            "html",
            "one self-contained HTML page: execution tree, findings and prompt/response panes",
            ".html",
            _html,
            masked_bytes=_html_bytes,
        ),
        Exporter("md", "compact Markdown to paste into a prompt or an issue", ".md", _markdown),
    )
}


def render_trace(trace: Trace, format: str, render: Render | None = None) -> str:
    """``trace`` as the text of format ``format`` (``render`` overrides the exporter's own, e.g. with options).

    Raises:
        ExportError: ``format`` names no exporter.
    """
    return "".join(iter_trace(trace, format, render))


def iter_trace(trace: Trace, format: str, render: Render | None = None) -> Iterator[str]:
    """``render_trace`` in pieces, each masked as it is produced (a key never spans two pieces).

    Raises:
        ExportError: ``format`` names no exporter (before anything is produced).
    """
    exporter = _exporter(format)
    if render is None and exporter.masked_bytes is not None:
        return (chunk.decode("utf-8") for chunk in exporter.masked_bytes(trace))
    return _masked(trace, exporter, render)


def iter_trace_bytes(trace: Trace, format: str, render: Render | None = None) -> Iterator[bytes]:
    """``iter_trace`` as UTF-8 bytes (what a file or stdout gets; an exporter that encodes bytes is not decoded).

    Raises:
        ExportError: ``format`` names no exporter (before anything is produced).
    """
    exporter = _exporter(format)
    if render is None and exporter.masked_bytes is not None:
        return exporter.masked_bytes(trace)
    return (chunk.encode("utf-8") for chunk in _masked(trace, exporter, render))


def _exporter(format: str) -> Exporter:
    exporter = EXPORTERS.get(format)
    if exporter is None:
        raise ExportError(f"unknown export format {format!r}", hint=f"choose one of: {', '.join(EXPORTERS)}")
    return exporter


def _masked(trace: Trace, exporter: Exporter, render: Render | None) -> Iterator[str]:
    if render is None and exporter.chunks is not None:
        for chunk in exporter.chunks(trace):
            yield mask_secrets(chunk)
    else:
        rendered = (render or exporter.render)(trace)
        if isinstance(rendered, str):
            yield mask_secrets(rendered)
        else:  # a renderer that yields pieces (each whole: no secret spans two) is written as it goes
            for piece in rendered:
                yield mask_secrets(piece)


def export_trace(
    trace: Trace,
    format: str,
    output: str | os.PathLike[str],
    render: Render | None = None,
) -> Path:
    """Write ``trace`` to ``output`` in ``format``; a reader never sees a half-written file.

    Raises:
        ExportError: unknown format, or the output cannot be written.
    """
    exporter = _exporter(format)
    chunks = iter_trace_bytes(trace, format, render)
    path = Path(output)
    if path.is_dir():
        raise ExportError(
            f"{path} is a directory",
            hint=f"give a file name, e.g. {path / ('trace' + EXPORTERS[format].suffix)}",
        )
    blocking = next((parent for parent in path.parents if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise ExportError(f"cannot write {path}: {blocking} is a file, not a directory")
    try:
        if path.exists() and not path.is_file():  # a device or FIFO (/dev/null, <(...)): written in place,
            with path.open("wb") as stream:  # never replaced by a regular file
                _write(trace, exporter, render, chunks, stream)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            os.chmod(temporary, 0o644)  # mkstemp makes 0600; an export is meant to be shared
            with os.fdopen(handle, "wb") as stream:
                _write(trace, exporter, render, chunks, stream)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def _write(
    trace: Trace, exporter: Exporter, render: Render | None, chunks: Iterator[bytes], stream: BinaryIO
) -> None:
    """The file's bytes into ``stream``: straight from the exporter where it writes its own pieces."""
    if render is None and exporter.write is not None:
        exporter.write(trace, stream.write)
        return
    for chunk in chunks:
        stream.write(chunk)


__all__ = ["EXPORTERS", "ExportError", "Exporter", "export_trace", "iter_trace", "iter_trace_bytes", "render_trace"]
