"""Sidechains of a Claude Code transcript (sub-agents of CLI 1.x, ``isSidechain`` records in the session
file): each chain of records linked by ``parentUuid`` becomes a sub-agent step under the ``Task`` call that
started it, matched by prompt text, else by timing; an unmatched chain goes under the session step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentdbg.importers._claude_records import Chain, normal, prompt_text
from agentdbg.importers._common import ImportBuilder, parse_time
from agentdbg.model.span import Span


class Sidechains:
    """The chains of a transcript (``"main"`` and one per sidechain root) and the Task calls they may match."""

    def __init__(self, b: ImportBuilder, session_id: Callable[[], str | None]) -> None:
        self.b = b
        self.session_id = session_id
        self.by_uuid: dict[str, dict[str, Any]] = {}
        self.chain_root: dict[str, str] = {}  # record uuid -> uuid of its chain's root
        self.chains: dict[str, Chain] = {}
        self.task_by_prompt: dict[str, Span] = {}
        self.matched_tasks: set[str] = set()

    def index(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        for _, record in records:
            if record.get("uuid"):
                self.by_uuid[str(record["uuid"])] = record

    def task_call(self, tool: Span, prompt: str) -> None:
        """A Task call a later sidechain with this prompt may belong to."""
        self.task_by_prompt.setdefault(normal(prompt), tool)

    def main(self) -> Chain:
        return self.chains.setdefault("main", Chain(parent_id=self.session_id()))

    def under_task(self, task: Span) -> Chain:
        """The chain of a sub-agent known by the Task call that started it (stream-json output)."""
        self.matched_tasks.add(task.id)
        return self.chains.setdefault(f"task:{task.id}", Chain(parent_id=task.id))

    def root_of(self, record: dict[str, Any]) -> str:
        """The uuid of the first record of this record's chain (follows ``parentUuid`` links)."""
        uid = str(record.get("uuid"))
        seen: list[str] = []
        cursor: dict[str, Any] | None = record
        while cursor is not None:
            cuid = str(cursor.get("uuid"))
            if cuid in self.chain_root:
                root = self.chain_root[cuid]
                break
            seen.append(cuid)
            parent = cursor.get("parentUuid")
            nxt = self.by_uuid.get(parent) if parent else None
            if nxt is None or str(nxt.get("uuid")) in seen:
                root = cuid
                break
            cursor = nxt
        else:
            root = uid
        for item in seen:
            self.chain_root[item] = root
        return root

    def match_task(self, prompt: str, started: float | None) -> tuple[Span | None, str | None]:
        """The Task call that started a sidechain: same prompt text, else the latest open Task call before it."""
        task = self.task_by_prompt.get(normal(prompt))
        if task is not None and task.id not in self.matched_tasks:
            self.matched_tasks.add(task.id)
            return task, "prompt"
        candidates = [
            span
            for span in self.task_by_prompt.values()
            if span.id not in self.matched_tasks
            and started is not None
            and span.started_at is not None
            and span.started_at <= started
            and (not span.ended or (span.ended_at or 0) >= started)
        ]
        if not candidates:
            return None, None
        task = max(candidates, key=lambda span: span.started_at or 0.0)
        self.matched_tasks.add(task.id)
        return task, "timing"

    def chain(self, record: dict[str, Any], line: int) -> Chain:
        """The chain of a sidechain record, its sub-agent step made on first sight."""
        root = self.root_of(record)
        chain = self.chains.get(root)
        if chain is None:
            root_record = self.by_uuid.get(root, record)
            prompt = prompt_text((root_record.get("message") or {}).get("content"))
            started = parse_time(root_record.get("timestamp"))
            task, matched_by = self.match_task(prompt, started)
            name = (
                f": {task.input.get('arguments', {}).get('description', '')}"
                if task
                else " (unmatched sidechain)"
            )
            chain = self.chains[root] = self.sub_agent(
                "sub-agent" + name,
                f"sidechain-{root}",
                task,
                matched_by,
                prompt,
                started,
                line,
                {"sidechain_root": root},
                f"sidechain starting at record {root} matches no Task tool call by prompt or timing; shown under the session",
            )
        return chain

    def sub_agent(
        self,
        name: str,
        step_id: str,
        task: Span | None,
        matched_by: str | None,
        prompt: str,
        started: float | None,
        line: int,
        attributes: dict[str, Any],
        unmatched: str,
    ) -> Chain:
        """A sub-agent's step, under the Task call that started it (else under the session, saying
        ``unmatched``), and the chain its steps go into."""
        agent = self.b.add(
            "agent",
            name,
            id=step_id,
            parent_id=task.id if task else self.session_id(),
            started_at=started,
            input={"prompt": prompt},
            attributes={
                **attributes,
                "matched_task": task.input.get("call_id") if task else None,
                "matched_by": matched_by,
            },
            line=line,
        )
        if task is None:
            self.b.problem(unmatched, line, "info")
        return Chain(parent_id=agent.id)
