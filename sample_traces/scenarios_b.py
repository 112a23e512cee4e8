"""Sample runs 06, 07 and 09: context overflow, irrelevant retrieval, nested sub-agents (08 is crash_agent.py)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anthropic
from sample_agents import chat_agent, claude_agent_async, claude_tool, function_tool, tool
from scenarios_a import openai_client

import agentdbg
from agentdbg.testing.llm_server import FakeLLMServer, RecordedRequest, Reply, reply, tool_call_reply

# --- 06: the system prompt is trimmed out of a full context window -------------------------------

TRAVEL_SYSTEM = (
    "You are the booking assistant of Skyline Air. RULES: (1) Always answer in French, whatever the "
    "customer's language. (2) Never promise a refund: Basic fares are non-refundable; Flex fares get a "
    "travel credit. Point customers to skylineair.example/refunds for anything else."
)
FLIGHT_TOOLS = [
    function_tool(
        "search_flights",
        "Search flights and fares for one day.",
        {"origin": {"type": "string"}, "destination": {"type": "string"}, "date": {"type": "string"}},
        ["origin", "destination", "date"],
    )
]
TOKEN_BUDGET = 7800  # the app's trimming budget for gpt-4's 8,192-token window


def _tokens(messages: list[dict[str, Any]]) -> int:
    return len(json.dumps(messages)) // 4


def trim_oldest_first(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The app's history trimming: drop the oldest messages until under budget (the system prompt goes first)."""
    kept = list(messages)
    while _tokens(kept) > TOKEN_BUDGET and len(kept) > 2:
        kept.pop(0)
        while kept and kept[0].get("role") == "tool":  # never start with an orphan tool result
            kept.pop(0)
    return kept


@tool
def search_flights(origin: str, destination: str, date: str) -> dict:
    fares = []
    for hour in range(4, 24):
        for fare, price in (
            ("Basic", 389 + hour * 7),
            ("Standard", 512 + hour * 7),
            ("Flex", 779 + hour * 9),
            ("Business", 2140 + hour * 11),
        ):
            fares.append(
                {
                    "flight": f"SK{700 + hour}",
                    "departs": f"{date}T{hour:02d}:40",
                    "arrives": (
                        datetime.fromisoformat(f"{date}T{hour:02d}:40") + timedelta(hours=7, minutes=35)
                    ).isoformat(timespec="minutes"),
                    "fare": fare,
                    "price_eur": price,
                    "bags": 0 if fare == "Basic" else (2 if fare == "Business" else 1),
                    "refund": {"Basic": "none", "Standard": "fee 150 EUR", "Flex": "travel credit"}.get(
                        fare, "full"
                    ),
                }
            )
    return {"origin": origin, "destination": destination, "date": date, "fares": fares}


def context_overflow(server: FakeLLMServer, path: Path) -> None:
    """06: by turn 3 the trimmed history no longer holds the system prompt; the model breaks both rules."""
    client = openai_client(server)
    turns = [
        (
            "Hi, I need a flight Paris CDG to Montreal on December 18.",
            tool_call_reply("search_flights", {"origin": "CDG", "destination": "YUL", "date": "2026-12-18"}),
            reply(
                "Bonjour ! Le 18 décembre, le vol SK717 part à 17h40 : Basic 508 €, Standard 631 €, Flex 932 €."
            ),
        ),
        (
            "And on the 19th? Which fare can I cancel?",
            tool_call_reply("search_flights", {"origin": "CDG", "destination": "YUL", "date": "2026-12-19"}),
            reply(
                "Le 19 décembre, SK717 à 17h40 : Basic 508 €. Attention : le tarif Basic n'est pas remboursable ; "
                "le tarif Flex donne droit à un avoir. Détails : skylineair.example/refunds."
            ),
        ),
        (
            "I'll take Basic on the 19th. If my plans change, I can cancel and get my money back, right?",
            tool_call_reply("search_flights", {"origin": "CDG", "destination": "YUL", "date": "2026-12-19"}),
            reply(
                "Yes, absolutely! If your plans change, just cancel before departure and you'll get a full refund "
                "of the 508 EUR to your card within 5-7 business days."
            ),
        ),
    ]
    messages: list[dict[str, Any]] = [{"role": "system", "content": TRAVEL_SYSTEM}]
    with agentdbg.trace("travel-assistant", path=path, metadata={"user": "u-4410", "locale": "fr-FR"}):
        for number, (user_text, *answers) in enumerate(turns, start=1):
            server.enqueue(*answers)
            messages.append({"role": "user", "content": user_text})
            with agentdbg.span(f"turn-{number}", kind="agent", input={"user_message": user_text}) as turn:
                turn.set_output(
                    chat_agent(
                        client,
                        model="gpt-4",
                        messages=messages,
                        tools=FLIGHT_TOOLS,
                        impls={"search_flights": search_flights},
                        prepare=trim_oldest_first,
                    )
                )


# --- 07: a query rewrite drops the key constraint; retrieval returns off-topic documents ----------

HR_DOCS = [
    {
        "id": "hr-us-014",
        "title": "US benefits overview",
        "text": "Medical, dental and vision from day one. 401(k) match up to 4%. Family care: 12 weeks of paid "
        "family leave for US staff after 90 days.",
    },
    {
        "id": "perks-031",
        "title": "JobRad bike leasing",
        "text": "Lease an e-bike through salary conversion; minimum 20 hours per week, 36-month contracts.",
    },
    {
        "id": "hr-de-002",
        "title": "Public holidays 2026 (Germany)",
        "text": "Offices close on New Year's Day, Good Friday, Easter Monday, Labour Day and Christmas.",
    },
]


def irrelevant_retrieval(server: FakeLLMServer, path: Path) -> None:
    """07: an HR assistant answers a Germany question from a US policy the retriever returned."""
    client = openai_client(server)
    question = "I work part-time in our Berlin office. How much parental leave (Elternzeit) can I take?"
    server.enqueue(
        reply("Elternzeit part-time employee Berlin", usage={"input_tokens": 96, "output_tokens": 7}),
        reply(
            "You can take 12 weeks of paid family leave; part-time employees get the same as full-time staff.",
            usage={"input_tokens": 611, "output_tokens": 22},
        ),
    )
    with (
        agentdbg.trace("hr-assistant", path=path, metadata={"user": "u-2093", "office": "Berlin"}),
        agentdbg.span("hr-assistant", kind="agent", input={"question": question}) as agent,
    ):
        rewrite = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": "Rewrite the question as a short search query."},
                {"role": "user", "content": question},
            ],
            temperature=0,
        )
        query = rewrite.choices[0].message.content or question
        with agentdbg.span(
            "search_policies",
            kind="retrieval",
            input={"query": query, "index": "hr-policies", "top_k": 3},
        ) as retrieval:
            scored = [dict(doc, score=score) for doc, score in zip(HR_DOCS, (0.62, 0.58, 0.55), strict=True)]
            retrieval.set_output(scored)
        context = "\n\n".join(f"[{d['id']}] {d['title']}\n{d['text']}" for d in scored)
        answer = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[
                {"role": "system", "content": f"Answer from these HR documents only.\n\n{context}"},
                {"role": "user", "content": question},
            ],
        )
        agent.set_output(answer.choices[0].message.content)


# --- 09: an orchestrator with parallel research sub-agents and a writer sub-agent -----------------

RESEARCHER = "You are a research sub-agent. Use search_changelog, then summarise in 3 bullets."
WRITER = "You are a writer sub-agent. Write the release notes, then publish them with publish_post."
SUB_TOOLS = [
    claude_tool("search_changelog", "Search merged PRs.", {"component": {"type": "string"}}, ["component"]),
    claude_tool(
        "publish_post",
        "Publish a post to the company blog.",
        {"title": {"type": "string"}, "body": {"type": "string"}},
        ["title", "body"],
    ),
]


@tool
def search_changelog(component: str) -> list[dict]:
    prs = {
        "api": [
            {"pr": 4411, "title": "Add cursor pagination to /v2/events"},
            {"pr": 4420, "title": "Rate-limit headers"},
        ],
        "ui": [
            {"pr": 3102, "title": "Dark mode for the dashboard"},
            {"pr": 3117, "title": "Keyboard shortcuts"},
        ],
    }
    return prs.get(component, [])


@tool
def publish_post(title: str, body: str) -> dict:
    raise PermissionError("403 Forbidden: token 'ci-bot' lacks scope 'blog:write'")


def _sub_agent_reply(request: RecordedRequest) -> Reply:
    """Route by which agent is asking and how far its conversation has got (sub-agents run in parallel)."""
    body = request.json
    system, messages = body.get("system", ""), body["messages"]
    if system == RESEARCHER:
        component = "api" if "API" in messages[0]["content"] else "ui"
        if len(messages) == 1:
            return tool_call_reply("search_changelog", {"component": component}, delay=0.02)
        prs = json.loads(messages[-1]["content"][0]["content"])  # the tool_result the loop sent back
        return reply(f"- {component.upper()}: " + "; ".join(f"{pr['title']} (#{pr['pr']})" for pr in prs))
    if system == WRITER:
        if len(messages) == 1:
            return tool_call_reply(
                "publish_post",
                {
                    "title": "Release 2026.11",
                    "body": "Cursor pagination, rate-limit headers, dark mode, shortcuts.",
                },
            )
        return reply("Publishing failed: publish_post returned 403 (token lacks blog:write). Draft kept.")
    return reply("Release notes drafted, but publishing failed: the CI token cannot write to the blog.")


async def _nested(server: FakeLLMServer, path: Path) -> None:
    client = agentdbg.wrap_anthropic(anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test-key"))
    impls = {"search_changelog": search_changelog, "publish_post": publish_post}
    model = "claude-haiku-4-5"

    async def researcher(component: str) -> str:
        async with agentdbg.span(
            f"researcher:{component}", kind="agent", input={"component": component}
        ) as sub:
            text = await claude_agent_async(
                client,
                model=model,
                system=RESEARCHER,
                tools=SUB_TOOLS[:1],
                impls=impls,
                messages=[{"role": "user", "content": f"What changed in the {component} this release?"}],
            )
            sub.set_output(text)
            return text

    async with (
        agentdbg.trace("release-notes", path=path, metadata={"release": "2026.11"}),
        agentdbg.span("orchestrator", kind="agent", input={"task": "release notes 2026.11"}) as top,
    ):
        summaries = await asyncio.gather(researcher("API"), researcher("UI"))
        async with agentdbg.span("writer", kind="agent") as writer:
            writer.set_output(
                await claude_agent_async(
                    client,
                    model=model,
                    system=WRITER,
                    tools=SUB_TOOLS[1:],
                    impls=impls,
                    messages=[{"role": "user", "content": "Notes:\n" + "\n".join(summaries)}],
                )
            )
        final = await client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=300,
            system="You coordinate sub-agents. Report the outcome.",
            messages=[{"role": "user", "content": f"Writer said: {writer.output}"}],
        )
        top.set_output(final.content[0].text)


def nested_subagents(server: FakeLLMServer, path: Path) -> None:
    """09: orchestrator → two parallel researcher sub-agents → writer sub-agent whose publish fails."""
    server.responder = _sub_agent_reply
    asyncio.run(_nested(server, path))
