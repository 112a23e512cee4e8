"""Runs that live in a tracing backend, as sources every command can read: ``phoenix://``, ``mlflow://``, ``langfuse://``.

``resolve(text)`` is the one hook the CLI calls where a command opens a trace: a path is returned
as it is; a source (``phoenix://HOST:PORT/[PROJECT/]TRACE_ID``, ``mlflow://HOST:PORT/TRACE_ID``,
``langfuse://HOST/TRACE_ID``, ``otlp+file://PATH``, or an ``http(s)://`` URL of an OTLP JSON file)
is fetched once into a local cache keyed by the source and the cached agentdbg JSONL is returned,
so the normal read path does the rest. ``pull`` always fetches again; ``search`` lists a
backend's runs through its own query API. Spans are mapped with the one GenAI/OpenInference
mapping of the OTLP importer (``importers/_otel_spans.py``). Backends add ``+https`` to the scheme
for TLS (``phoenix+https://``); Langfuse is HTTPS unless ``langfuse+http://``.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentdbg.errors import SourceError

SCHEMES = ("phoenix", "mlflow", "langfuse")
_SOURCE = re.compile(r"^(phoenix|mlflow|langfuse)(\+https?)?://", re.IGNORECASE)


@dataclass(frozen=True)
class SourceRef:
    """A parsed source: backend, base URL (scheme + host:port) and the path parts after the host."""

    text: str
    backend: str
    base_url: str
    parts: tuple[str, ...]


@dataclass
class RunSummary:
    """One run a backend search found (``source`` is what ``agentdbg pull`` takes)."""

    source: str
    trace_id: str
    name: str
    started_at: float | None
    status: str  # "ok" or "error"
    steps: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunFilter:
    """What ``search`` asks the backend for."""

    status: str | None = None  # "error" / "ok" / None
    since: float | None = None  # Unix seconds
    name: str | None = None
    limit: int = 20


def is_source(text: str) -> bool:
    """True for a backend source or an ``otlp+file://`` / ``http(s)://`` OTLP JSON location."""
    lowered = text.lower()
    return bool(_SOURCE.match(text)) or lowered.startswith(("otlp+file://", "http://", "https://"))


def parse(text: str) -> SourceRef:
    """``text`` as a ``SourceRef``; raises ``SourceError`` naming what is wrong with it."""
    match = _SOURCE.match(text)
    if not match:
        raise SourceError(
            f"{text!r} is not a backend source", hint="use phoenix://, mlflow:// or langfuse://"
        )
    backend = match.group(1).lower()
    transport = (match.group(2) or "").lstrip("+").lower()
    split = urlsplit("http://" + text[match.end() :])
    if not split.netloc:
        raise SourceError(f"{text}: no HOST[:PORT] after {backend}://")
    scheme = transport or ("https" if backend == "langfuse" else "http")
    parts = tuple(part for part in split.path.split("/") if part)
    return SourceRef(text=text, backend=backend, base_url=f"{scheme}://{split.netloc}", parts=parts)


def _backend(name: str) -> Any:
    from agentdbg.sources import langfuse, mlflow, phoenix

    return {"phoenix": phoenix, "mlflow": mlflow, "langfuse": langfuse}[name]


def cache_path(text: str) -> Path:
    """Where the run of source ``text`` is cached (under the agentdbg cache directory)."""
    from agentdbg.analysis.search_cache import cache_dir

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
    return cache_dir() / "sources" / f"{digest}.jsonl"


def pull(text: str, output: str | os.PathLike[str] | None = None) -> Path:
    """Fetch the run of source ``text`` now and write it as agentdbg JSONL (``output``, else the cache).

    Raises:
        SourceError: the backend is unreachable, does not know the id, or refused the key.
    """
    from agentdbg.store.writer import write_trace

    trace = fetch(text)
    target = Path(output) if output is not None else cache_path(text)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    write_trace(partial, trace, overwrite=True)
    partial.replace(target)  # a half-written cache entry is never read
    return target


def fetch(text: str) -> Any:
    """The ``Trace`` of source ``text``, straight from the backend (or the OTLP JSON location)."""
    lowered = text.lower()
    if lowered.startswith(("otlp+file://", "http://", "https://")):
        return _otlp_location(text)
    ref = parse(text)
    trace = _backend(ref.backend).fetch(ref)
    trace.header.metadata = {**trace.header.metadata, "pulled_from": text, "pulled_at": time.time()}
    return trace


def _otlp_location(text: str) -> Any:
    from agentdbg.importers import open_trace

    if text.lower().startswith("otlp+file://"):
        return open_trace(text[len("otlp+file://") :], format="otlp-json")
    import tempfile

    from agentdbg.sources._http import request_json

    document = request_json(text, what="OTLP JSON document")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pulled.otlp.json"
        import json

        path.write_text(json.dumps(document), encoding="utf-8")
        return open_trace(path, format="otlp-json")


def resolve(text: str, *, on_fetch: Callable[[str], None] | None = None) -> str:
    """The path to read for ``text``: itself when it is a path, else the cached pull of the source."""
    if not is_source(text):
        return text
    cached = cache_path(text)
    if not cached.exists():
        if on_fetch is not None:
            on_fetch(f"fetching {text} …")
        pull(text)
    return str(cached)


def search(prefix: str, run_filter: RunFilter) -> list[RunSummary]:
    """Runs under ``prefix`` (``phoenix://HOST:PORT[/PROJECT]``, ``mlflow://HOST:PORT[/EXPERIMENT]``,
    ``langfuse://HOST``) matching ``run_filter``, newest first, through the backend's query API."""
    ref = parse(prefix)
    return list(_backend(ref.backend).search(ref, run_filter))[: run_filter.limit]


__all__ = [
    "RunFilter",
    "RunSummary",
    "SourceRef",
    "cache_path",
    "fetch",
    "is_source",
    "parse",
    "pull",
    "resolve",
    "search",
]
