"""What each MCP tool answers, as JSON-ready dicts: the same library calls and rules as the CLI.

Pure functions over ``Roots`` and ``RunCache`` so they are tested without the MCP SDK; ``server.py`` only
registers them. Long texts are cut with a marker that says how to get the rest; secrets are masked.
"""

from __future__ import annotations

from typing import Any

from agentdbg.errors import AgentdbgError, QueryError
from agentdbg.mcp_server.roots import Roots
from agentdbg.mcp_server.runs import RunCache
from agentdbg.model.messages import Message
from agentdbg.model.span import Span
from agentdbg.secrets import mask_secrets

DEFAULT_PAGE = 50
MAX_PAGE = 500
DEFAULT_TEXT_CHARS = 4000
STEP_PARTS = ("prompt", "response", "tool", "usage", "error", "raw")


def _cut(text: str, limit: int, where: str) -> str:
    text = mask_secrets(text)
    if limit <= 0 or len(text) <= limit:
        return text
    return (
        text[:limit]
        + f"\n… [cut: {len(text) - limit:,} more characters; call get_step again with max_chars=0 for {where} whole]"
    )


def _message(message: Message, limit: int, where: str) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role}
    if message.text:
        data["text"] = _cut(message.text, limit, where)
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments if call.arguments_valid_json else _cut(call.arguments_raw or "", limit, where),
                **({} if call.arguments_valid_json else {"arguments_valid_json": False}),
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id:
        data["tool_call_id"] = message.tool_call_id
    if message.is_error:
        data["is_error"] = True
    if message.reasoning:
        data["reasoning"] = [_cut(text, limit, where) for text in message.reasoning]
    if message.attachments:
        data["attachments"] = [attachment.label() for attachment in message.attachments]
    return data


class Queries:
    """The MCP tools' bodies; ``roots`` bound every path, ``runs`` keeps opened traces warm between calls."""

    def __init__(self, roots: Roots, runs: RunCache | None = None) -> None:
        self.roots = roots
        self.runs = runs or RunCache()

    def _run(self, path: str) -> Any:
        resolved = self.roots.resolve(path)
        if resolved.is_dir():
            raise AgentdbgError(f"{path} is a directory, not a trace file")
        return self.runs.get(resolved)

    # -- reading --------------------------------------------------------------------------------

    def trace_summary(self, path: str) -> dict[str, Any]:
        run = self._run(path)
        header = run.header
        rows = run.rows()
        kinds: dict[str, int] = {}
        for row in rows:
            kinds[row.kind] = kinds.get(row.kind, 0) + 1
        errors = [f"{row.step and f'step-{row.step}'}: {row.name} ({row.error})" for row in rows if row.status == "error"]
        return {
            "path": str(run.path),
            "format": run.format,
            "trace_id": header.trace_id,
            "name": mask_secrets(header.name),
            "started_at": header.started_at,
            "fork_of": header.fork_of.model_dump() if header.fork_of else None,
            "totals": run.totals(),
            "steps_by_kind": kinds,
            "errors": [mask_secrets(line) for line in errors[:20]],
            "read_problems": len(run.problems()),
            "hint": "list_steps pages through the steps; get_step reads one; diagnose finds failure patterns",
        }

    def list_steps(
        self,
        path: str,
        kind: str | None = None,
        status: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = DEFAULT_PAGE,
    ) -> dict[str, Any]:
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise QueryError(f"offset must be >= 0 and limit 1–{MAX_PAGE} (got offset={offset}, limit={limit})")
        run = self._run(path)
        if kind is None and status is None and not name:
            page, total, final = run.page(offset, limit)
        else:
            needle = name.lower() if name else None
            rows = [
                row
                for row in run.rows()
                if (kind is None or row.kind == kind)
                and (status is None or row.status == status)
                and (needle is None or needle in row.name.lower())
            ]
            page, total, final = rows[offset : offset + limit], len(rows), True
        result: dict[str, Any] = {
            "total": total,
            "offset": offset,
            "steps": [{**row.to_json(), "name": mask_secrets(row.name)} for row in page],
        }
        if not final:
            result["total"] = None
            result["steps_so_far"] = total
            result["note"] = "the file is still being read; the total comes with a later page or trace_summary"
        if offset + limit < total or not final:
            result["next_offset"] = offset + limit
        return result

    def get_step(
        self, path: str, step: str, parts: list[str] | None = None, max_chars: int = DEFAULT_TEXT_CHARS
    ) -> dict[str, Any]:
        unknown = sorted(set(parts or ()) - set(STEP_PARTS))
        if unknown:
            raise QueryError(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(STEP_PARTS)}")
        wanted = set(parts or STEP_PARTS) - ({"raw"} if parts is None else set())
        span: Span = self._run(path).span(step)
        data: dict[str, Any] = {
            "step": span.address,
            "kind": span.kind,
            "name": mask_secrets(span.name),
            "status": span.status,
            "seconds": span.duration,
            "origin": span.origin,
        }
        where = f"{span.address}'s texts"
        llm = span.llm
        if llm is not None:
            data["model"] = llm.model
            data["api"] = llm.api
            if "prompt" in wanted:
                data["prompt"] = [_message(m, max_chars, where) for m in llm.prompt]
                data["tools_offered"] = [spec.name for spec in llm.tools]
            if "response" in wanted:
                data["response"] = [_message(m, max_chars, where) for m in llm.answer]
        tool = span.tool
        if tool is not None and "tool" in wanted:
            data["tool"] = {
                "name": tool.name,
                "call_id": tool.call_id,
                "arguments": tool.arguments,
                "result": _cut(tool.result_text, max_chars, where) if span.ended else None,
            }
        if "usage" in wanted and span.usage is not None:
            data["usage"] = span.usage.model_dump(exclude_none=True)
        if "error" in wanted and span.error is not None:
            data["error"] = {
                "type": span.error.type,
                "message": _cut(span.error.message or "", max_chars, where),
            }
        if "raw" in wanted:
            import orjson

            data["raw"] = _cut(orjson.dumps(span.to_record(), default=str).decode(), max_chars, where)
        return data

    # -- analysis -------------------------------------------------------------------------------

    def diagnose(self, path: str) -> dict[str, Any]:
        from agentdbg.analysis import diagnose

        findings = diagnose(self._run(path).trace())
        return {"findings": [finding.to_json() for finding in findings], "count": len(findings)}

    def diff(self, a: str, b: str) -> dict[str, Any]:
        from agentdbg.analysis import diff_traces

        result = diff_traces(self._run(a).trace(), self._run(b).trace())
        divergent = result.divergent
        return {
            "a": result.a_source,
            "b": result.b_source,
            "fork_step": f"step-{result.fork_step}" if result.fork_step else None,
            "first_divergence": divergent.model_dump() if divergent is not None else None,
            "final_a": mask_secrets(result.final_a or ""),
            "final_b": mask_secrets(result.final_b or ""),
            "totals_a": result.totals_a,
            "totals_b": result.totals_b,
            "steps_compared": len(result.steps),
        }

    def search(
        self,
        directory: str,
        tool: str | None = None,
        error: bool = False,
        finding: str | None = None,
        text: str | None = None,
        model: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        from agentdbg.analysis.search import SearchQuery
        from agentdbg.analysis.search import search as run_search

        root = self.roots.resolve(directory)
        result = run_search(
            [str(root)], SearchQuery(tool=tool, error=error, finding=finding, text=text, model=model)
        )
        return {
            "matches": [match.to_json() for match in result.matches[:limit]],
            "total_matches": len(result.matches),
            "scanned": result.scanned,
            "unreadable": [{"path": path, "reason": reason} for path, reason in result.failed[:20]],
        }

    # -- replay ---------------------------------------------------------------------------------

    def show_document(self, path: str, step: str) -> dict[str, Any]:
        from agentdbg.replay import select_step, step_document

        trace = self._run(path).trace()
        span = select_step(trace, step)
        return {"step": span.address, "kind": span.kind, "document": step_document(trace, span)}

    def replay(
        self,
        path: str,
        from_step: str,
        patch: Any = None,
        base_url: str | None = None,
        max_steps: int = 20,
        dry_run: bool = True,
    ) -> dict[str, Any]:
        from agentdbg.replay import replay

        source = self.roots.resolve(path)
        run = self._run(path)
        output = None if dry_run else self.roots.fork_path(source)
        result = replay(
            run.trace(),
            from_step,
            patch=patch,
            output=output,
            base_url=base_url,
            max_steps=max_steps,
            dry_run=dry_run,
        )
        data: dict[str, Any] = {
            "status": result.status,
            "fork_step": result.fork_step,
            "fork_path": result.fork_path,
            "divergence_step": result.divergence_step,
            "divergence": mask_secrets(result.divergence),
            "old_answer": mask_secrets(result.old_answer or ""),
            "new_answer": mask_secrets(result.new_answer or ""),
            "llm_calls": result.llm_calls,
            "tokens": {"in": result.input_tokens, "out": result.output_tokens},
            "notes": [mask_secrets(note) for note in result.notes],
        }
        if result.error:
            data["error"] = mask_secrets(result.error)
        if result.needs is not None:
            data["needs_tool_result"] = result.needs.model_dump()
        if dry_run and result.request is not None:
            data["request"] = result.request
            data["hint"] = "nothing was sent; call replay again with dry_run=false to run it against the model"
        return data

    def explain(self, path: str) -> dict[str, Any]:
        from agentdbg.explain import explain

        result = explain(str(self.roots.resolve(path)))
        answer = result.answer
        if answer is None:
            raise AgentdbgError("the model gave no usable answer", hint="run diagnose for the offline findings")
        return {
            "root_cause": mask_secrets(answer.root_cause),
            "failure_step": answer.failure_step,
            "fixes": [
                {"step": fix.step, "kind": fix.kind, "patch": fix.patch_json, "rationale": mask_secrets(fix.rationale)}
                for fix in answer.fixes
            ],
        }


__all__ = ["STEP_PARTS", "Queries", "QueryError"]
