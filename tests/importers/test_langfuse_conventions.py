"""Langfuse exports: Koog's ``tool.*`` SPANs are tools; an agent's own usage is not added to its generations'.

The observations below are reduced from two real exports in langfuse/langfuse
(worker/src/__tests__/chatml/framework-traces/, MIT): ``microsoft-agent-2025-12-17.trace.json``
(commit 67b4bc9c) and ``koog-2025-08-26.trace.json`` (commit 5f3d5701): same ids, types, names,
usage and tool attributes; long prompts and per-observation bookkeeping fields left out.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentdbg.importers import open_trace


def _observation(id_: str, parent: str | None, type_: str, name: str, usage: dict, **extra: object) -> dict:
    return {
        "id": id_,
        "traceId": "t",
        "parentObservationId": parent,
        "type": type_,
        "name": name,
        "startTime": "2025-12-17T09:37:37.258Z",
        "endTime": "2025-12-17T09:37:41.622Z",
        "level": "DEFAULT",
        "usageDetails": usage,
        "metadata": "{}",
        **extra,
    }


MAF = [
    _observation(
        "4cd6caa32861956a",
        None,
        "AGENT",
        "invoke_agent 171105b7-59dd-49c0-9677-0b95395aa46a",
        {"input": 44, "output": 180, "total": 224},
        model="gpt-5-mini",
    ),
    _observation(
        "2406e8343fd49c0e",
        "4cd6caa32861956a",
        "GENERATION",
        "chat gpt-5-mini",
        {"input": 77, "output": 86, "total": 163},
        model="gpt-5-mini-2025-08-07",
    ),
    _observation(
        "b0913e7cd82d72b8",
        "4cd6caa32861956a",
        "GENERATION",
        "chat gpt-5-mini",
        {"input": 216, "output": 20, "total": 236},
        model="gpt-5-mini-2025-08-07",
    ),
    _observation("a2de97aac476c036", "4cd6caa32861956a", "TOOL", "get_weather", {}),
]

KOOG_TOOL_META = (
    '{"attributes":{"input.value":"{\\"name\\":\\"Bob\\"}","output.value":"Bye my dear Bob!",'
    '"gen_ai.tool.description":"A tool that says bye to the user","gen_ai.tool.call.id":"call_dOeEHJDI0liHrCdFWTpkTsuO",'
    '"gen_ai.tool.name":"ByeTool"},"scope":{"name":"ai.koog","version":"0.3.0","attributes":{}}}'
)
KOOG = [
    _observation(
        "1b7200380e3316e7", None, "AGENT", "agent.f9f77d1a-437f-4ba6-890e-b592a50cbd21", {}, model="gpt-4o"
    ),
    _observation(
        "bb189bc3771ff83d", "1b7200380e3316e7", "AGENT", "run.6f8d2449-33ed-4c7c-82e7-5410e34ee4e6", {}
    ),
    _observation("5555afb6655e4d44", "bb189bc3771ff83d", "SPAN", "node.nodeExecuteTool", {}),
    _observation(
        "33188493784a060d",
        "5555afb6655e4d44",
        "SPAN",
        "tool.ByeTool",
        {},
        input='{"name":"Bob"}',
        output="Bye my dear Bob!",
        metadata=KOOG_TOOL_META,
    ),
    _observation(
        "66f269083a2fff81",
        "5555afb6655e4d44",
        "SPAN",
        "tool.HelloTool",
        {},
        input='{"name":"Bob"}',
        output="Hello my darling Bob!",
    ),
    _observation(
        "e44e72cf2d221781",
        "bb189bc3771ff83d",
        "GENERATION",
        "llm.chat",
        {"input": 168, "output": 19, "total": 187},
        model="gpt-4o",
    ),
]


def _export(tmp_path: Path, name: str, observations: list[dict]) -> Path:
    path = tmp_path / f"{name}.trace.json"
    trace = {
        "id": "t",
        "projectId": "p",
        "name": observations[0]["name"],
        "timestamp": "2025-12-17T09:37:37.258Z",
    }
    path.write_text(json.dumps({"trace": trace, "observations": observations}), encoding="utf-8")
    return path


def test_agent_usage_is_not_added_on_top_of_its_generations(tmp_path: Path) -> None:
    generations = [o["usageDetails"] for o in MAF if o["type"] == "GENERATION"]
    trace = open_trace(_export(tmp_path, "microsoft-agent", MAF))
    totals = trace.totals()
    assert (
        (totals["input_tokens"], totals["output_tokens"])
        == (
            sum(u["input"] for u in generations),
            sum(u["output"] for u in generations),
        )
        == (293, 106)
    )
    agent = trace.by_id["4cd6caa32861956a"]
    assert agent.usage is None and agent.attributes["aggregate_usage"]["input_tokens"] == 44


def test_an_agent_with_usage_and_no_generation_below_keeps_it(tmp_path: Path) -> None:
    alone = [MAF[0], MAF[3]]
    trace = open_trace(_export(tmp_path, "agent-only", alone))
    assert trace.totals()["input_tokens"] == 44


def test_koog_tool_spans_are_tool_steps(tmp_path: Path) -> None:
    trace = open_trace(_export(tmp_path, "koog", KOOG))
    tools = {s.id: s for s in trace.tool_spans}
    assert set(tools) == {o["id"] for o in KOOG if o["name"].startswith("tool.")}
    bye = tools["33188493784a060d"]
    assert bye.name == "ByeTool" and bye.tool.name == "ByeTool"
    assert bye.tool.arguments == {"name": "Bob"} and bye.output == "Bye my dear Bob!"
    assert tools["66f269083a2fff81"].name == "HelloTool"
    assert trace.by_id["5555afb6655e4d44"].kind != "tool"  # the node around them is not a tool
