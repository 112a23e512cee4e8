"""The bundled sample failures (03 loop, 04 wrong tool, 05 bad arguments) are gone when replayed with their fixes.

The model is a rule-following fake (a ``responder`` on the local server): it behaves like the recorded
model unless the request it receives carries the fix (a prompt rule, clear tool descriptions, a strict
schema). Each test replays twice with the same fake: unpatched, the failure comes back; patched, it is gone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentdbg import read_trace
from agentdbg.replay import load_patch, replay
from agentdbg.testing.llm_server import RecordedRequest, reply, tool_call_reply

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_traces"
FIXES = SAMPLES / "fixes"
TOOLS = "sample_traces.fixes.tools:TOOLS"


@pytest.fixture(autouse=True)
def importable_fixes(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


def _last_tool_output(request: RecordedRequest) -> str | None:
    last = request.json["messages"][-1] if "messages" in request.json else request.json["input"][-1]
    if last.get("role") == "tool":
        return str(last.get("content"))
    if last.get("type") == "function_call_output":
        return str(last.get("output"))
    return None


def helpdesk_model(request: RecordedRequest):
    """03: searches again and again, unless the system prompt says to open a ticket when nothing is found."""
    system = request.json["messages"][0]["content"]
    last = _last_tool_output(request)
    if "Never repeat a search" in system and last is not None:
        if "IT-20931" in last:
            return reply(
                "I found no article for VPN error 809, so I opened ticket IT-20931; IT will contact you."
            )
        return tool_call_reply(
            "create_ticket", {"summary": "VPN error 809 after Windows 11 update", "priority": "normal"}
        )
    return tool_call_reply("search_kb", {"query": "VPN error 809 on Windows 11"})


def billing_model(request: RecordedRequest):
    """04: picks delete_account for 'cancel', unless the tool descriptions say what each one really does."""
    descriptions = {t["function"]["name"]: t["function"]["description"] for t in request.json["tools"]}
    last = _last_tool_output(request) or ""
    if "cancelled" in last or "deleted" in last:
        if "deleted" in last:
            return reply(
                "Done! Your Pro plan has been cancelled and your account closed. Sorry to see you go, Dana."
            )
        return reply(
            "Your subscription is cancelled and will not renew; your notes stay and access lasts until 2027-01-14."
        )
    if "only when the customer explicitly asks" in descriptions["delete_account"].lower():
        return tool_call_reply("cancel_subscription", {"customer_id": "C-55120", "at_period_end": True})
    return tool_call_reply("delete_account", {"customer_id": "C-55120", "reason": "customer asked to cancel"})


def analyst_model(request: RecordedRequest):
    """05: invents argument names, unless the tool description spells out the real ones."""
    last = _last_tool_output(request)
    if last is not None:
        if "182340" in last:
            return reply("Revenue: September 2026 $182,340; October 2026 $201,775.")
        return reply(
            "I couldn't run the query because of a tool error. Monthly revenue is probably around $190k."
        )
    sql = "SELECT month, sum(amount) FROM payments GROUP BY 1 ORDER BY 1"
    if "no 'query' argument" in request.json["tools"][0]["description"]:
        return tool_call_reply("run_sql", {"sql": sql, "max_rows": 100})
    return tool_call_reply("run_sql", {"query": sql, "max_rows": "all"})


def _replay(server, sample, start, patch, tmp_path, name, **options):
    url = server.base_url + "/v1"
    return replay(
        SAMPLES / sample, start, patch=patch, output=tmp_path / name, tools=TOOLS, base_url=url, **options
    )


def test_03_tool_loop_fixed_by_a_prompt_rule(tmp_path, server):
    server.responder = helpdesk_model
    before = _replay(server, "03_tool_loop.jsonl", "step-2", None, tmp_path, "before.jsonl", max_steps=6)
    assert before.status == "max-steps"  # the loop reproduces
    patch = load_patch(FIXES / "03_tool_loop.json")
    after = _replay(server, "03_tool_loop.jsonl", "step-2", patch, tmp_path, "after.jsonl", max_steps=6)
    assert after.status == "finished", after.error
    assert "IT-20931" in (after.new_answer or "")
    fork = read_trace(after.fork_path)
    tools = [(s.name, s.origin) for s in fork.spans if s.kind == "tool"]
    assert tools == [("search_kb", "cached"), ("create_ticket", "live")]


def test_04_wrong_tool_fixed_by_tool_descriptions(tmp_path, server):
    server.responder = billing_model
    before = _replay(server, "04_wrong_tool.jsonl", "step-4", None, tmp_path, "before.jsonl")
    assert [s.name for s in read_trace(before.fork_path).spans if s.kind == "tool"][-1] == "delete_account"
    patch = load_patch(FIXES / "04_wrong_tool.json")
    after = _replay(server, "04_wrong_tool.jsonl", "step-4", patch, tmp_path, "after.jsonl")
    assert after.status == "finished", after.error
    fork = read_trace(after.fork_path)
    called = [s.name for s in fork.spans if s.kind == "tool"]
    assert "delete_account" not in called and called[-1] == "cancel_subscription"
    assert "notes stay" in (after.new_answer or "")
    assert after.divergence_step == "step-4"


def test_05_bad_arguments_fixed_by_spelling_out_the_parameters(tmp_path, server):
    server.responder = analyst_model
    before = _replay(server, "05_bad_arguments.jsonl", "step-2", None, tmp_path, "before.jsonl")
    assert [s.error.type for s in read_trace(before.fork_path).spans if s.error] == ["TypeError"]
    patch = load_patch(FIXES / "05_bad_arguments.json")
    after = _replay(server, "05_bad_arguments.jsonl", "step-2", patch, tmp_path, "after.jsonl")
    assert after.status == "finished", after.error
    fork = read_trace(after.fork_path)
    assert not [s for s in fork.spans if s.error]
    assert "$182,340" in (after.new_answer or "")
    sent = server.requests[-2].json
    assert (
        "no 'query' argument" in sent["tools"][0]["description"]
        and "fix the arguments" in sent["instructions"]
    )
    assert json.loads(server.requests[-1].json["input"][-1]["output"])["rows"][0] == ["2026-09", 182340]


def travel_model(request: RecordedRequest):
    """06: follows the French/no-refund rules only when the system prompt holding them is in the request."""
    system = [m for m in request.json["messages"] if m.get("role") == "system"]
    if system and "Always answer in French" in system[0]["content"]:
        return reply("Le tarif Basic n'est pas remboursable ; le tarif Flex donne droit à un avoir.")
    return reply("Yes, absolutely! You'll get a full refund of the 508 EUR to your card.")


def test_06_context_overflow_fixed_by_restoring_the_system_prompt(tmp_path, server):
    server.responder = travel_model
    before = _replay(server, "06_context_overflow.jsonl", "step-12", None, tmp_path, "before.jsonl")
    assert "full refund" in (before.new_answer or "")
    patch = load_patch(FIXES / "06_context_overflow.json")
    after = _replay(server, "06_context_overflow.jsonl", "step-12", patch, tmp_path, "after.jsonl")
    assert after.status == "finished", after.error
    assert "pas remboursable" in (after.new_answer or "") and "refund" not in (after.new_answer or "")
    assert server.requests[-1].json["messages"][0]["role"] == "system"


def test_09_tool_fork_inside_a_sub_agent_stays_in_its_loop(tmp_path, server):
    trace = read_trace(SAMPLES / "09_nested_subagents.jsonl")
    failed = trace.step(12)
    assert failed.kind == "tool" and failed.error is not None
    server.enqueue(reply("Published the release notes: https://blog.example/2026-11."))
    result = replay(
        trace,
        "first-error",
        patch={"result": {"url": "https://blog.example/2026-11", "status": "published"}},
        output=tmp_path / "fork.jsonl",
        base_url=server.base_url,
    )
    assert result.status == "finished", (result.steps, len(server.requests))
    assert result.fork_step == "step-12"
    assert result.old_answer.startswith("Publishing failed")  # the writer's answer, not the orchestrator's
    sent = json.dumps(server.requests[0].json)
    assert "blog:write" not in sent and "https://blog.example/2026-11" in sent
    fork = read_trace(result.fork_path)
    writer_agent = trace.step(10).id
    assert [(s.kind, s.origin, s.parent_id) for s in fork.spans[11:]] == [
        ("tool", "patched", writer_agent),
        ("llm", "live", writer_agent),
    ]


def test_first_error_prefers_a_replayable_step_and_explains_agent_errors(tmp_path):
    from agentdbg.errors import ReplayError
    from agentdbg.replay import select_step, step_document

    trace = read_trace(SAMPLES / "03_tool_loop.jsonl")
    agent = select_step(trace, "first-error")
    assert agent.kind == "agent"
    with pytest.raises(ReplayError, match="step-1 is an agent step"):
        step_document(trace, agent)
