"""The search cache: one JSON file per searched directory, entries keyed by (path, size, mtime).

A file whose size and modification time are unchanged is not read again, so a
second search over thousands of traces only stats the files. A large run's step
records live in a steps file under ``search-steps/`` (``summary.iter_steps``), named
by its entry and removed with it. Lives under
``$AGENTDBG_CACHE_DIR``, else ``$XDG_CACHE_HOME/agentdbg``, else ``~/.cache/agentdbg``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from agentdbg import __version__
from agentdbg.analysis.summary import SUMMARY_VERSION
from agentdbg.store.cache import cache_dir  # one place for where caches live (converted foreign files too)

CACHE_FORMAT = f"search-{SUMMARY_VERSION}-{__version__}"


class SearchCache:
    """Summaries of the trace files under one root, valid while a file's size and mtime hold."""

    def __init__(self, root: Path, directory: Path | None = None) -> None:
        self.root = root.resolve()
        digest = hashlib.sha1(str(self.root).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        self.path = (directory or cache_dir()) / f"search-{digest}.json"
        self.steps_dir = self.path.parent / "search-steps"
        self.entries: dict[str, Any] = {}
        self.fresh: dict[str, Any] = {}
        self.dirty = False
        self._load()

    def _load(self) -> None:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return  # no cache yet, or a broken one: rebuilt on save
        if (
            isinstance(data, dict)
            and data.get("format") == CACHE_FORMAT
            and data.get("root") == str(self.root)
        ):
            entries = data.get("entries")
            if isinstance(entries, dict):
                self.entries = entries

    def get(self, path: str, size: int, mtime_ns: int) -> dict[str, Any] | None:
        """The cached summary of ``path`` if the file is unchanged, else ``None``."""
        entry = self.entries.get(path)
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == size and entry[1] == mtime_ns:
            summary = entry[2] if isinstance(entry[2], dict) else None
            steps_file = summary.get("steps_file") if summary is not None else None
            if steps_file is not None and not os.path.isfile(steps_file):
                return None  # its steps file was removed: read the trace again
            self.fresh[path] = entry
            return summary
        return None

    def put(self, path: str, size: int, mtime_ns: int, summary: dict[str, Any]) -> None:
        _drop_steps_file(self.fresh.get(path) or self.entries.get(path), keep=summary.get("steps_file"))
        self.fresh[path] = [size, mtime_ns, summary]
        self.dirty = True

    def save(self, prune: bool = True) -> None:
        """Write the cache atomically; ``prune`` drops files not seen in this scan (deleted traces)."""
        if not self.dirty and (not prune or len(self.fresh) == len(self.entries)):
            return
        entries = self.fresh if prune else {**self.entries, **self.fresh}
        if prune:  # deleted traces: their steps files go too
            for path, entry in self.entries.items():
                if path not in self.fresh:
                    _drop_steps_file(entry)
        payload = orjson.dumps({"format": CACHE_FORMAT, "root": str(self.root), "entries": entries})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".search-", suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(payload)
            os.replace(temp, self.path)
        except OSError:
            return  # a read-only cache dir only costs speed, never the search itself


def _drop_steps_file(entry: Any, keep: str | None = None) -> None:
    """Remove the steps file an old cache entry names (unless it is ``keep``)."""
    summary = entry[2] if isinstance(entry, list) and len(entry) == 3 else None
    steps_file = summary.get("steps_file") if isinstance(summary, dict) else None
    if isinstance(steps_file, str) and steps_file != keep:
        with contextlib.suppress(OSError):  # already gone, or not ours to remove
            os.unlink(steps_file)


__all__ = ["CACHE_FORMAT", "SearchCache", "cache_dir"]
