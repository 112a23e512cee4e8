"""Aider chat history (``.aider.chat.history.md``) and LLM log (``.aider.llm.history``) as traces.

The Markdown history appends one section per launch (``# aider chat started at …``);
``#### `` lines are what the user typed, ``> `` lines are aider's own output (tool
results, warnings, token reports) and everything else is the model's answer. Each
answer is one llm step; ``> Tokens: 2.0k sent, 3.0k received.`` gives its tokens
(rounded as aider prints them); ``> Applied edit to f``, ``> Commit abc msg`` and
``> Running cmd`` are tool steps; API errors and failed edits are error steps.
The LLM log holds the exact messages sent (``TO LLM``) and each answer
(``LLM RESPONSE``): with it the steps are replayable as OpenAI-style chat requests.
When it lies beside the Markdown file and holds as many answers, its requests are
attached to the Markdown's llm steps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    make_usage,
    parse_time,
)
from agentdbg.importers._shapes import chat_request, chat_response, replay_info
from agentdbg.model.records import ErrorInfo
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace

_SESSION = re.compile(r"^# aider chat started at (.+?)\s*$")
_TOKENS = re.compile(
    r"^Tokens: ([\d.]+)([kM]?) sent(?:, ([\d.]+)([kM]?) cache write)?(?:, ([\d.]+)([kM]?) cache hit)?, ([\d.]+)([kM]?) received"
)
_MODEL = re.compile(r"^(?:Main model|Model): (\S+)")
_APPLIED = re.compile(r"^Applied edit to (.+)$")
_COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40}) (.*)$")
_RUNNING = re.compile(r"^Running (.+)$")
_ERROR = re.compile(
    r"^(litellm\.\w+|\w*(Error|Exception)\b:|The LLM did not conform|Failed to apply edit|Unable to |"
    r"Only \d+ reflections allowed|# \d+ SEARCH/REPLACE blocks? failed to match)"
)
_NOT_REPLAYABLE = (
    "the chat history shows what was said, not the messages sent (aider's .aider.llm.history has them)"
)


def sniff(head: bytes, path: Path) -> bool:
    return head.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"# aider chat started at ")


def sniff_llm(head: bytes, path: Path) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"TO LLM ") and b"\n-------\n" in text[:4096]


def _count(number: str | None, unit: str | None) -> int | None:
    if number is None:
        return None
    return int(round(float(number) * {"k": 1_000, "M": 1_000_000}.get(unit or "", 1)))


class _Chat:
    def __init__(self, path: Path) -> None:
        self.b = ImportBuilder(path, "aider")
        self.session: Span | None = None
        self.model: str | None = None
        self.history: list[dict[str, Any]] = []
        self.user_lines: list[str] = []
        self.answer_lines: list[str] = []
        self.answer_line = 0
        self.last_llm: Span | None = None
        self.last_tool: Span | None = None
        self.started: float | None = None

    def run(self, lines: list[str]) -> Trace:
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            session = _SESSION.match(line)
            if session:
                self.flush_answer()
                self.flush_user()
                self.started = parse_time(session.group(1).replace(" ", "T"))
                self.session = self.b.add(
                    "agent", f"aider session {session.group(1)}", started_at=self.started, line=number
                )
                self.history = []
                continue
            if self.session is None:
                if not line.strip():
                    continue
                self.session = self.b.add("agent", "aider session", line=number)
            if line.startswith("#### "):
                self.flush_answer()
                self.user_lines.append(line[5:].rstrip())
            elif line.startswith("> ") or line == ">":
                self.flush_answer()
                self.flush_user()
                self.output(line[2:].rstrip(), number)
            elif line.strip() or self.answer_lines:
                self.flush_user()
                if not self.answer_lines:
                    self.answer_line = number
                self.answer_lines.append(line)
        self.flush_answer()
        self.flush_user()
        for span in self.b.spans:
            if span.kind == "agent":
                children = [s.ended_at or s.started_at for s in self.b.spans if s.parent_id == span.id]
                span.ended_at = max([c for c in children if c is not None], default=span.started_at)
        return self.b.build(name=self.b.path.name)

    def flush_user(self) -> None:
        if self.user_lines:
            self.history.append({"role": "user", "content": "\n".join(self.user_lines).strip()})
            self.user_lines = []

    def flush_answer(self) -> None:
        text = "\n".join(self.answer_lines).strip()
        self.answer_lines = []
        if not text:
            return
        assert self.session is not None
        self.last_llm = self.b.add(
            "llm",
            self.model or "aider model",
            parent_id=self.session.id,
            started_at=self.started,
            input={
                "provider": "openai",
                "api": "chat.completions",
                "request": chat_request(self.model, self.history),
            },
            output=chat_response(self.model, text, []),
            attributes={"model": self.model, **replay_info(False, _NOT_REPLAYABLE)},
            line=self.answer_line,
        )
        self.history.append({"role": "assistant", "content": text})

    def output(self, text: str, number: int) -> None:
        assert self.session is not None
        model = _MODEL.match(text)
        tokens = _TOKENS.match(text)
        if model:
            self.model = model.group(1)
        elif tokens and self.last_llm is not None and self.last_llm.usage is None:
            sent = _count(tokens.group(1), tokens.group(2))
            written = _count(tokens.group(3), tokens.group(4))
            hit = _count(tokens.group(5), tokens.group(6))
            # "sent" is the whole prompt (litellm counts cache hits and writes inside it)
            self.last_llm.usage = make_usage(sent, _count(tokens.group(7), tokens.group(8)), None, hit)
            self.last_llm.attributes["tokens_line"] = text
            if written is not None:
                self.last_llm.attributes["cache_write_tokens"] = written
        elif _APPLIED.match(text) or _COMMIT.match(text) or _RUNNING.match(text):
            self.tool(text, number)
        elif _ERROR.match(text):
            self.b.add(
                "custom",
                "aider error",
                parent_id=self.session.id,
                started_at=self.started,
                output=text,
                error=ErrorInfo(type="aider_error", message=text[:500]),
                line=number,
            )
        elif (
            self.last_tool is not None
            and self.last_tool.name == "run_command"
            and self.last_tool.line == number - 1
        ):
            self.last_tool.output = f"{self.last_tool.output or ''}{text}\n"
            self.last_tool.line = number  # keep collecting the command's output lines
        else:
            self.session.attributes.setdefault("notes", []).append(text)

    def tool(self, text: str, number: int) -> None:
        assert self.session is not None
        applied, commit, running = _APPLIED.match(text), _COMMIT.match(text), _RUNNING.match(text)
        if applied:
            name, arguments, output = "apply_edit", {"file": applied.group(1)}, text
        elif commit:
            name, arguments, output = (
                "git_commit",
                {"hash": commit.group(1), "message": commit.group(2)},
                text,
            )
        else:
            assert running is not None
            name, arguments, output = "run_command", {"command": running.group(1)}, ""
        self.last_tool = self.b.add(
            "tool",
            name,
            parent_id=self.session.id,
            started_at=self.started,
            input={"name": name, "arguments": arguments},
            output=output,
            line=number,
        )


def _llm_log(lines: list[str]) -> list[tuple[int, float | None, list[dict[str, Any]], str]]:
    """(line, time, messages sent, answer) for each ``TO LLM`` … ``LLM RESPONSE`` pair of an llm log."""
    calls: list[tuple[int, float | None, list[dict[str, Any]], str]] = []
    messages: list[dict[str, Any]] = []
    answer: list[str] = []
    start_line, start_time, in_response = 0, None, False

    def close() -> None:
        if start_line:
            calls.append((start_line, start_time, messages, "\n".join(answer)))

    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n").rstrip("\r")
        if line.startswith("TO LLM "):
            close()
            messages, answer, in_response = [], [], False
            start_line, start_time = number, parse_time(line[7:].strip())
        elif line.startswith("LLM RESPONSE "):
            in_response = True
        elif line == "-------":
            messages.append({"role": "", "content": ""})
        else:
            role, _, text = line.partition(" ")
            if in_response:
                answer.append(text if role == "ASSISTANT" else line)
            elif role in ("SYSTEM", "USER", "ASSISTANT"):
                if not messages or messages[-1]["role"] not in ("", role.lower()):
                    messages.append({"role": role.lower(), "content": ""})
                last = messages[-1]
                last["role"] = role.lower()
                last["content"] = f"{last['content']}\n{text}" if last["content"] else text
    close()
    return [(n, t, [m for m in msgs if m["role"]], a) for n, t, msgs, a in calls]


def load(path: Path) -> Trace:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    trace_builder = _Chat(path)
    trace = trace_builder.run(lines)
    log_path = path.with_name(".aider.llm.history")
    if log_path.is_file():
        calls = _llm_log(log_path.read_text(encoding="utf-8", errors="replace").splitlines())
        steps = trace.llm_spans
        if len(calls) == len(steps):
            for span, (_, _, messages, _) in zip(steps, calls, strict=True):
                span.input["request"] = chat_request(span.attributes.get("model"), messages)
                span.attributes.update(
                    replay_info(True, "messages from .aider.llm.history beside the chat history")
                )
        else:
            trace.problems.append(
                _info(path, f".aider.llm.history has {len(calls)} calls for {len(steps)} answers; not paired")
            )
    return trace


def _info(path: Path, message: str) -> Any:
    from agentdbg.model.problems import Problem

    return Problem(path=str(path), line=0, message=message, severity="info")


def load_llm(path: Path) -> Trace:
    b = ImportBuilder(path, "aider-llm")
    calls = _llm_log(path.read_text(encoding="utf-8", errors="replace").splitlines())
    root = b.add("agent", "aider llm log", started_at=calls[0][1] if calls else None)
    for line, ts, messages, answer in calls:
        b.add(
            "llm",
            "aider model",
            parent_id=root.id,
            started_at=ts,
            input={"provider": "openai", "api": "chat.completions", "request": chat_request(None, messages)},
            output=chat_response(None, answer, []),
            attributes=replay_info(True, "the log has the messages sent but no model name: pass --model"),
            line=line,
        )
    root.ended_at = max((s.started_at for s in b.spans if s.started_at), default=None)
    return b.build(name=path.name)


register(Importer("aider", "Aider chat history (.aider.chat.history.md)", sniff, load))
register(Importer("aider-llm", "Aider LLM log (.aider.llm.history)", sniff_llm, load_llm))
