"""Export a trace as one self-contained HTML file: execution tree, findings, prompt/response panes.

The page needs no network and no other file: CSS and vanilla JS are inline (the skeleton
``html_template.html``, its style ``html_page.css`` and its script ``html_page_*.js``, put in place
by ``template``). It is written as it is produced (``page_bytes``), in one pass over the steps
(``llm_chain.export_steps``: no pydantic ``Span`` per step where the index gives light ones), so its
size and cost grow with the trace, as the trace file does:

- one ``<script type="application/json" class="agentdbg-step">`` block per step, parsed by the page
  only when the step is selected; an llm step's request and prompt are written once, relative to a
  recent step (``html_steps``), and the page's script rebuilds them on demand;
- the tree rows, in tree order, in ``agentdbg-rows`` blocks of ``ROWS_PER_BLOCK`` (durations and token
  counts already written by ``agentdbg.formatting``, the rule the terminal and the TUI use); the tree
  draws only the rows in view;
- then the ``agentdbg-data`` block: trace header, totals, findings.

Secrets are masked in every block as it is written (``mask_secret_bytes``, per block of JSON); every
block writes ``<``, ``>`` and ``&`` as ``\\u003c``-style escapes, so no trace text can close it; the
script inserts every piece of trace text with ``textContent``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from importlib import resources
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import orjson

from agentdbg.exporters.html_steps import StepBlocks, decode_step, page_message, tokens_text, whole_block
from agentdbg.exporters.llm_chain import export_steps, indexed
from agentdbg.formatting import fmt_duration, fmt_tokens
from agentdbg.model.trace import Trace
from agentdbg.secrets import mask_secret_bytes

if TYPE_CHECKING:
    from agentdbg.store.index import TraceIndex

TEMPLATE_NAME = "html_template.html"
DATA_PLACEHOLDER = "/*AGENTDBG_DATA*/"
STEPS_PLACEHOLDER = "<!--AGENTDBG_STEPS-->"
MAX_FINDING_STEPS = (
    20_000  # above this the page says to run `agentdbg diagnose` (it needs every step's views)
)
ROWS_PER_BLOCK = 2048
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE_BYTES = re.compile(b"[<>&]|\xe2\x80[\xa8\xa9]")
_BYTE_ESCAPES = {
    b"<": b"\\u003c",
    b">": b"\\u003e",
    b"&": b"\\u0026",
    b"\xe2\x80\xa8": b"\\u2028",
    b"\xe2\x80\xa9": b"\\u2029",
}
_STEP_OPEN = '<script type="application/json" class="agentdbg-step" id="agentdbg-step-{}">'
_ROWS_OPEN = b'<script type="application/json" class="agentdbg-rows">'
_LINE_OPEN = b'<script type="application/json" class="agentdbg-line">'
_CLOSE = b"</script>\n"
_LINE_BREAK = b"</script>\n" + _LINE_OPEN
CHUNK_BYTES = 4 << 20
# escapes orjson never writes (it writes only \" \\ \b \f \n \r \t and \u00XX for control characters): a line
# holding one is written again by orjson first, so masking sees each string as the old per-block pass did
_ODD_ESCAPE = re.compile(rb"\\(?:/|u(?!00[01][0-9a-fA-F]))")

# depth, step, kind, name, duration, input tokens, output tokens, status, origin (``TraceIndex.tree_fields``)
Row = tuple[int, int, str, str, float | None, int | None, int | None, str, str | None]
_SUMMARY_FIELDS = attrgetter(
    "step", "kind", "name", "duration", "input_tokens", "output_tokens", "status", "origin"
)


def _escape(match: re.Match[bytes]) -> bytes:
    return _BYTE_ESCAPES[match.group()]


def script_bytes(value: Any) -> bytes:
    """``value`` as JSON bytes fit for a ``<script>`` element, secrets masked: no ``<``, ``>`` or ``&``
    appears literally (orjson writes NaN/Infinity as null, which ``JSON.parse`` accepts)."""
    try:
        data = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: ASCII-escaped stdlib JSON
        data = json.dumps(_finite_floats(value), ensure_ascii=True, default=str).encode()
    data = mask_secret_bytes(data)
    if b"<" in data or b">" in data or b"&" in data or b"\xe2\x80" in data:
        data = _UNSAFE_BYTES.sub(_escape, data)
    return data


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` appears literally."""
    try:  # orjson writes NaN/Infinity as null, which JSON.parse accepts
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):  # lone surrogates, huge ints: ASCII-escaped stdlib JSON
        text = json.dumps(_finite_floats(value), ensure_ascii=True, default=str)
    return _SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], text)


def _finite_floats(item: Any) -> Any:
    """``item`` with NaN/Infinity written as strings (``JSON.parse`` rejects the bare words)."""
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    if isinstance(item, dict):
        return {key: _finite_floats(value) for key, value in item.items()}
    if isinstance(item, (list, tuple)):
        return [_finite_floats(value) for value in item]
    return item


def step_row(row: Row, title: str) -> list[Any]:
    """The tree row of one step: ``[step, depth, kind, name, title, status, origin, meta]`` (always in
    the page; the step's payload block is parsed on demand)."""
    depth, step, kind, name, duration, tokens_in, tokens_out, status, origin = row
    meta = []
    if duration is not None:
        meta.append(fmt_duration(duration))
    if tokens_in is not None or tokens_out is not None:
        meta.append(tokens_text(tokens_in, tokens_out))
    return [step, depth, kind, name, title, status, origin, "  ".join(meta)]


def _rows(trace: Trace) -> Iterator[Row]:
    """The tree in tree order: from the index's columns when there is one, else from the spans' summaries."""
    index = indexed(trace)
    if index is not None:
        for fields in index.tree_fields():
            yield (*fields[:8], fields[10])
        return
    for summary, depth in trace.rows():
        yield (depth, *_SUMMARY_FIELDS(summary))


def _findings(trace: Trace) -> tuple[list[dict[str, Any]], str | None]:
    if len(trace.spans) > MAX_FINDING_STEPS:
        return [], (
            f"findings are not included for traces over {MAX_FINDING_STEPS:,} steps; "
            f"run `agentdbg diagnose {trace.source or 'TRACE'}`"
        )
    from agentdbg.analysis import diagnose

    found = [
        {
            "severity": f.severity,
            "pattern": f.pattern,
            "step": f"step-{f.step}" if f.step else None,
            "title": f.title,
            "evidence": f.evidence,
            "fix": f.fix,
        }
        for f in diagnose(trace)
    ]
    return found, None


def page_data(trace: Trace, findings: Any = None) -> dict[str, Any]:
    """The ``agentdbg-data`` document: header, totals and findings (the rows are in their own blocks)."""
    from agentdbg import __version__

    totals = trace.totals()
    found, note = _findings(trace) if findings is None else (findings, None)
    return {
        "generator": f"agentdbg {__version__}",
        "trace": {
            "trace_id": trace.header.trace_id,
            "name": trace.header.name,
            "started_at": trace.header.started_at,
            "metadata": trace.header.metadata,
            "fork_of": trace.header.fork_of.model_dump() if trace.header.fork_of else None,
            "source": trace.source,
            "format": trace.format,
            "totals": totals,
            "totals_text": {
                "tokens": (
                    f"{fmt_tokens(totals['input_tokens'])} in / {fmt_tokens(totals['output_tokens'])} out tokens"
                    if totals["input_tokens"] or totals["output_tokens"]
                    else ""
                ),
                "duration": fmt_duration(totals["duration"]) if totals["duration"] is not None else "",
            },
        },
        "findings": found,
        "findings_note": note,
    }


# The page's style and script, kept in their own files and put inside the template (the page is one file).
STYLE_NAME = "html_page.css"
SCRIPT_NAMES = ("html_page_data.js", "html_page_wire.js", "html_page_views.js", "html_page_ui.js")


@functools.cache
def template() -> str:
    """The page template shipped with the package, its style and script in place."""
    files = resources.files("agentdbg.exporters")

    def read(name: str) -> str:
        return files.joinpath(name).read_text(encoding="utf-8")

    page = read(TEMPLATE_NAME)
    if page.count("/*AGENTDBG_STYLE*/") != 1 or page.count("/*AGENTDBG_SCRIPT*/\n") != 1:
        raise RuntimeError(f"{TEMPLATE_NAME} lost a placeholder")
    script = "".join(read(name) for name in SCRIPT_NAMES)
    return page.replace("/*AGENTDBG_STYLE*/\n", read(STYLE_NAME)).replace("/*AGENTDBG_SCRIPT*/\n", script)


def page_bytes(trace: Trace, findings: Any = None) -> Iterator[bytes]:
    """The page in UTF-8 pieces, in file order, secrets masked.

    A trace read through the index (our own format) is written as a near copy of its file
    (``_file_lines``): every line in its own ``agentdbg-line`` block, and the page's script builds a
    step's view from its lines on demand; a step the reader had to repair (a line with a problem, a
    request whose base is missing) is written as a block of what the reader made of it. An in-memory
    trace (imports) is written step by step (``StepBlocks``).
    """
    page = template()
    if page.count(STEPS_PLACEHOLDER) != 1 or page.count(DATA_PLACEHOLDER) != 1:
        raise RuntimeError(f"{TEMPLATE_NAME} lost a placeholder")
    head, rest = page.split(STEPS_PLACEHOLDER)
    middle, tail = rest.split(DATA_PLACEHOLDER)
    yield mask_secret_bytes(head.encode())
    index = indexed(trace)
    if index is not None:
        yield from _indexed_steps(trace, index)
    else:
        yield from _built_steps(trace)
    yield mask_secret_bytes(middle.encode())
    yield script_bytes(page_data(trace, findings))
    yield mask_secret_bytes(tail.encode())


def _built_steps(trace: Trace) -> Iterator[bytes]:
    """One block per step, requests and prompts written relative to recent ones (``html_steps``), then the rows."""
    blocks = StepBlocks()
    titles: dict[int, str] = {}
    for span, llm in export_steps(trace):
        tool = span.tool if span.kind == "tool" else None
        if tool is not None and tool.name and tool.name != span.name:
            titles[span.step] = f"{span.name} ({tool.name})"
        yield _STEP_OPEN.format(span.step).encode() + script_bytes(blocks.block(span, llm, tool)) + _CLOSE
    yield from _row_blocks(step_row(row, titles.get(row[1], row[3])) for row in _rows(trace))


def _indexed_steps(trace: Trace, index: TraceIndex) -> Iterator[bytes]:
    """The file's lines, a block for each step the reader repaired, then the rows (with each step's lines)."""
    state = index._state
    yield from _file_lines(index.path, state.offset)
    problem_lines = {problem.line for problem in trace.problems}
    lines, end_lines, bases = state.lines, state.end_lines, state.bases
    repaired: set[int] = set()
    if problem_lines or state.broken:
        for position in range(len(index)):
            if (
                position in state.broken
                or lines[position] in problem_lines
                or end_lines[position] in problem_lines
            ):
                repaired.add(position + 1)
                block = whole_block(index.read_span(position))
                yield _STEP_OPEN.format(position + 1).encode() + script_bytes(block) + _CLOSE

    def rows() -> Iterator[list[Any]]:
        """``step_row``'s fields, then the step's start line, end line (0: none), base step (0: none),
        duration, its text and the token text; a repaired step's lines are 0 (its block holds it)."""
        bases_get = bases.get
        # runs repeat their durations and token counts: each text is made once (C-level cache lookups)
        duration_of = functools.lru_cache(maxsize=4096)(fmt_duration)
        tokens_of = functools.lru_cache(maxsize=4096)(tokens_text)
        for (
            depth,
            step,
            kind,
            name,
            duration,
            tokens_in,
            tokens_out,
            status,
            _,
            _,
            origin,
        ) in index.tree_fields():
            duration_text = duration_of(duration) if duration is not None else ""
            tokens = (
                tokens_of(tokens_in, tokens_out) if tokens_in is not None or tokens_out is not None else ""
            )
            meta = f"{duration_text}  {tokens}" if duration_text and tokens else duration_text or tokens
            if step in repaired:
                yield [
                    step,
                    depth,
                    kind,
                    name,
                    name,
                    status,
                    origin,
                    meta,
                    0,
                    0,
                    0,
                    duration,
                    duration_text,
                    tokens,
                ]
                continue
            position = step - 1
            base = bases_get(position)
            end_line = end_lines[position]
            title = (
                None if kind == "tool" else name
            )  # the page names a tool step from its line (``ToolView``)
            yield [
                step, depth, kind, name, title, status, origin, meta,
                lines[position], end_line if end_line > 0 else 0, 0 if base is None else base + 1,
                duration, duration_text, tokens,
            ]  # fmt: skip

    yield from _row_blocks(rows())


def _row_blocks(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    block: list[list[Any]] = []
    for row in rows:
        block.append(row)
        if len(block) >= ROWS_PER_BLOCK:
            yield _ROWS_OPEN + script_bytes(block) + _CLOSE
            block = []
    if block:
        yield _ROWS_OPEN + script_bytes(block) + _CLOSE


def _file_lines(path: Any, end: int) -> Iterator[bytes]:
    """The first ``end`` bytes of the trace file, each line in an ``agentdbg-line`` block (line N is the
    page's N-th), secrets masked and ``<``, ``>``, ``&`` escaped: a near copy, a chunk at a time."""
    yield _LINE_OPEN
    done = 0
    owed = b""  # the break after a chunk's last line: written only if another line follows
    with open(path, "rb") as handle:
        while done < end:
            chunk = handle.read(min(CHUNK_BYTES, end - done))
            if not chunk:
                break
            done += len(chunk)
            if done < end and not chunk.endswith(b"\n"):
                rest = handle.readline(end - done)
                done += len(rest)
                chunk += rest
            last = chunk.endswith(b"\n")
            if owed:
                yield owed
            yield page_lines(chunk[:-1] if last else chunk)
            owed = _LINE_BREAK if last else b""
    yield _CLOSE


def page_lines(chunk: bytes) -> bytes:
    """Whole trace lines as the page holds them: secrets masked per string, escaped for a script
    element, each newline closing one ``agentdbg-line`` block and opening the next.

    A key shape never spans a newline (none of them matches one in what it replaces), so masking the
    chunk masks each line as masking it alone would.
    """
    if _ODD_ESCAPE.search(chunk) is not None:
        chunk = b"\n".join(map(_plain_escapes, chunk.split(b"\n")))
    chunk = mask_secret_bytes(chunk)
    if b"<" in chunk or b">" in chunk or b"&" in chunk or (b"\xe2" in chunk and b"\xe2\x80" in chunk):
        chunk = _UNSAFE_BYTES.sub(_escape, chunk)  # (a lone byte is found at memchr speed, a pair is not)
    return chunk.replace(b"\n", _LINE_BREAK)


def _plain_escapes(line: bytes) -> bytes:
    """A line with escapes orjson does not write, written by orjson (one that does not parse: left empty)."""
    if _ODD_ESCAPE.search(line) is None:
        return line
    try:
        return orjson.dumps(orjson.loads(line))
    except orjson.JSONDecodeError:
        return b""  # a damaged line: no step is read from it, and its text could hide a key


def page_chunks(trace: Trace, findings: Any = None) -> Iterator[str]:
    """``page_bytes`` as text."""
    return (chunk.decode("utf-8") for chunk in page_bytes(trace, findings))


def to_html(trace: Trace) -> str:
    """The whole page for ``trace``."""
    return b"".join(page_bytes(trace)).decode("utf-8")


__all__ = [
    "decode_step",
    "page_bytes",
    "page_chunks",
    "page_data",
    "page_lines",
    "page_message",
    "script_bytes",
    "script_json",
    "step_row",
    "template",
    "to_html",
    "tokens_text",
]
