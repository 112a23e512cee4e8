"""Search a tree of trace files by tool, error, finding, text, model and date; parallel and cached.

A trace matches when every filter given holds somewhere in it (``--since`` on
the trace's start time); the steps listed are those that match a step filter.
"""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentdbg.analysis.diagnose import check_patterns
from agentdbg.analysis.search_cache import SearchCache, cache_dir
from agentdbg.analysis.summary import iter_steps, summarize_many
from agentdbg.errors import SearchInputError

TRACE_SUFFIXES = (".jsonl", ".json", ".ndjson", ".yaml", ".yml", ".eval", ".traj")
PARALLEL_MIN = 64  # below this many files to read, a process pool costs more than it saves
BATCH = 32


class SearchQuery(BaseModel):
    """The filters; ``None``/``False`` means "not filtered on"."""

    tool: str | None = None
    error: bool = False
    finding: str | None = None
    text: str | None = None
    model: str | None = None
    since: float | None = None

    def step_filters(self) -> list[str]:
        return [name for name in ("tool", "error", "finding", "text", "model") if getattr(self, name)]


class StepMatch(BaseModel):
    step: int
    kind: str
    name: str
    reasons: list[str]
    snippet: str | None = None

    @property
    def address(self) -> str:
        return f"step-{self.step}"


class TraceMatch(BaseModel):
    path: str
    trace_id: str
    name: str
    started_at: float | None
    models: list[str]
    steps: list[StepMatch] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, with steps as ``step-N``."""
        data = self.model_dump()
        for step in data["steps"]:
            step["step"] = f"step-{step['step']}"
        return data


class SearchResult(BaseModel):
    matches: list[TraceMatch]
    scanned: int
    from_cache: int
    failed: list[tuple[str, str]] = Field(default_factory=list)
    not_traces: list[str] = Field(default_factory=list, description="Files no format recognises (skipped).")
    seconds: float = 0.0


def parse_since(text: str) -> float:
    """``2025-01-31``, ``2025-01-31T12:00`` (UTC unless an offset is given), or ``7d``/``12h``/``30m`` ago."""
    value = text.strip()
    relative = re.fullmatch(r"(\d+)\s*([dhm])", value.lower())
    if relative:
        amount = int(relative.group(1))
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount), "m": timedelta(minutes=amount)}[
            relative.group(2)
        ]
        return (datetime.now(timezone.utc) - delta).timestamp()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchInputError(
            f"--since {text!r} is not a date", hint="use YYYY-MM-DD, YYYY-MM-DDTHH:MM, or 7d / 12h / 30m"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _walk(root: Path) -> Iterator[os.DirEntry[str]]:
    stack = [str(root)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:  # one bad entry (a symlink loop: ELOOP) must not drop the rest of the folder
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        elif entry.is_file() and entry.name.lower().endswith(TRACE_SUFFIXES):
                            yield entry
                    except OSError:
                        continue
        except OSError:  # a folder we may not list
            continue


def _collect(roots: list[str]) -> list[tuple[SearchCache, list[tuple[str, int, int]], bool]]:
    """Per root: its cache and its files as (path, size, mtime_ns); files given directly share their folder's cache."""
    groups: list[tuple[SearchCache, list[tuple[str, int, int]], bool]] = []
    loose: dict[Path, list[tuple[str, int, int]]] = {}
    for root in roots:
        path = Path(root)
        if path.is_dir():
            files = []
            for entry in _walk(path):
                try:
                    stat = entry.stat()
                except OSError:  # gone, or a link that stopped resolving, since the listing
                    continue
                files.append((entry.path, stat.st_size, stat.st_mtime_ns))
            groups.append((SearchCache(path), sorted(files), True))
        elif path.is_file():
            stat = path.stat()
            loose.setdefault(path.resolve().parent, []).append((str(path), stat.st_size, stat.st_mtime_ns))
        else:
            raise SearchInputError(f"{root}: no such file or directory")
    groups.extend((SearchCache(folder), files, False) for folder, files in loose.items())
    return groups


def _summaries(paths: list[str], jobs: int, spill_dir: str) -> list[dict[str, Any]]:
    if jobs <= 1 or len(paths) < PARALLEL_MIN:
        return summarize_many(paths, spill_dir)
    batches = [paths[start : start + BATCH] for start in range(0, len(paths), BATCH)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [
            summary
            for batch in pool.map(partial(summarize_many, spill_dir=spill_dir), batches)
            for summary in batch
        ]


def _snippet(text: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    start = max(0, match.start() - 40)
    flat = " ".join(text[start : match.end() + 60].split())
    return ("…" if start else "") + flat


class _Compiled:
    """A query prepared once per search: lowered names, compiled patterns."""

    def __init__(self, query: SearchQuery) -> None:
        self.query = query
        self.tool = re.compile(fnmatch.translate(query.tool.lower())) if query.tool else None
        self.text = re.compile(re.escape(query.text), re.IGNORECASE) if query.text else None
        self.model = query.model.lower() if query.model else None
        self.wanted = set(query.step_filters())


def match_summary(path: str, summary: dict[str, Any], query: SearchQuery | _Compiled) -> TraceMatch | None:
    """The match of one trace summary against ``query``, or ``None``."""
    compiled = query if isinstance(query, _Compiled) else _Compiled(query)
    query = compiled.query
    if query.since is not None and (summary.get("started_at") or 0) < query.since:
        return None
    findings_by_step: dict[int, list[str]] = {}
    if query.finding:
        for finding in summary.get("findings", []):
            findings_by_step.setdefault(finding["step"], []).append(finding["pattern"])
    satisfied: set[str] = set()
    steps: list[StepMatch] = []
    for step in iter_steps(summary) if compiled.wanted else ():  # a large run's steps stream from its file
        reasons = []
        snippet = None
        if compiled.tool and any(compiled.tool.match(tool.lower()) for tool in step["tools"]):
            reasons.append(f"tool {query.tool}")
            satisfied.add("tool")
        if query.error and (step["error"] or step["status"] != "ok"):
            reasons.append("error" if step["error"] else step["status"])
            satisfied.add("error")
        if query.finding and query.finding in findings_by_step.get(step["n"], ()):
            reasons.append(f"finding {query.finding}")
            satisfied.add("finding")
        if compiled.model and step["model"] and compiled.model in step["model"].lower():
            reasons.append(f"model {step['model']}")
            satisfied.add("model")
        if compiled.text is not None:
            snippet = _snippet(step["text"], compiled.text)
            if snippet is not None:
                reasons.append("text")
                satisfied.add("text")
        if reasons:
            steps.append(
                StepMatch(
                    step=step["n"], kind=step["kind"], name=step["name"], reasons=reasons, snippet=snippet
                )
            )
    if compiled.wanted - satisfied:
        return None
    return TraceMatch(
        path=path,
        trace_id=summary.get("trace_id", ""),
        name=summary.get("name", ""),
        started_at=summary.get("started_at"),
        models=summary.get("models", []),
        steps=steps,
    )


def search(
    roots: list[str],
    query: SearchQuery,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    on_progress: Callable[[str], None] | None = None,
) -> SearchResult:
    """Scan ``roots`` (directories, walked recursively, or files) and return the traces that match ``query``.

    ``on_progress`` is told (in words) when many files must be read, so a UI can say why it waits.

    Raises:
        SearchInputError: a root does not exist.
        UnknownPatternError: ``query.finding`` names no detector.
    """
    check_patterns([query.finding] if query.finding else None)
    started = time.perf_counter()
    jobs = jobs if jobs is not None else min(os.cpu_count() or 1, 8)
    compiled = _Compiled(query)
    matches: list[TraceMatch] = []
    failed: list[tuple[str, str]] = []
    not_traces: list[str] = []
    scanned = from_cache = 0
    with tempfile.TemporaryDirectory(prefix="agentdbg-search-") as scratch:  # steps files when not cached
        for cache, files, prune in _collect(roots):
            spill_dir = str(cache.steps_dir) if use_cache else scratch
            found = _search_group(cache, files, prune, compiled, jobs, use_cache, spill_dir, on_progress)
            matches.extend(found.matches)
            failed.extend(found.failed)
            not_traces.extend(found.not_traces)
            scanned += found.scanned
            from_cache += found.from_cache
    return SearchResult(
        matches=matches,
        scanned=scanned,
        from_cache=from_cache,
        failed=failed,
        not_traces=not_traces,
        seconds=time.perf_counter() - started,
    )


def _search_group(
    cache: SearchCache,
    files: list[tuple[str, int, int]],
    prune: bool,
    compiled: _Compiled,
    jobs: int,
    use_cache: bool,
    spill_dir: str,
    on_progress: Callable[[str], None] | None,
) -> SearchResult:
    """The matches among one root's files (``from_cache`` and ``scanned`` counted; ``seconds`` left 0)."""
    matches: list[TraceMatch] = []
    failed: list[tuple[str, str]] = []
    not_traces: list[str] = []
    scanned = 0
    summaries: dict[str, dict[str, Any]] = {}
    missing = []
    for path, size, mtime in files:
        cached = cache.get(path, size, mtime) if use_cache else None
        if cached is not None:
            summaries[path] = cached
        else:
            missing.append((path, size, mtime))
    from_cache = len(summaries)
    if on_progress is not None and len(missing) >= PARALLEL_MIN:
        workers = jobs if len(missing) >= PARALLEL_MIN else 1
        on_progress(
            f"reading {len(missing):,} new or changed file(s) under {cache.root} with {workers} process(es)…"
        )
    for (path, size, mtime), summary in zip(
        missing, _summaries([m[0] for m in missing], jobs, spill_dir), strict=True
    ):
        summaries[path] = summary
        if use_cache:
            cache.put(path, size, mtime, summary)
    if use_cache:
        cache.save(prune=prune)
    for path, _, _ in files:
        summary = summaries[path]
        scanned += 1
        if not summary.get("ok"):
            if summary.get("not_trace"):
                not_traces.append(path)  # a patch, a config, notes: not counted as a trace at all
                scanned -= 1
            else:
                failed.append((path, str(summary.get("error"))))
            continue
        found = match_summary(path, summary, compiled)
        if found is not None:
            matches.append(found)
    return SearchResult(
        matches=matches, scanned=scanned, from_cache=from_cache, failed=failed, not_traces=not_traces
    )


__all__ = [
    "SearchInputError",
    "SearchQuery",
    "SearchResult",
    "StepMatch",
    "TraceMatch",
    "cache_dir",
    "match_summary",
    "parse_since",
    "search",
]
