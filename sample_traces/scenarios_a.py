"""Sample runs 01-05: a healthy support bot, a research assistant, a tool loop, a wrong tool, bad arguments."""

from __future__ import annotations

from pathlib import Path

import anthropic
import openai
from sample_agents import (
    MaxStepsExceeded,
    chat_agent,
    claude_agent,
    claude_tool,
    function_tool,
    responses_agent,
    tool,
)

import agentdbg
from agentdbg.testing.llm_server import FakeLLMServer, error_reply, reply, tool_call_reply

KEY = "test-key-not-secret"


def openai_client(server: FakeLLMServer) -> openai.OpenAI:
    return agentdbg.wrap_openai(openai.OpenAI(base_url=server.base_url + "/v1", api_key=KEY, max_retries=2))


def anthropic_client(server: FakeLLMServer) -> anthropic.Anthropic:
    return agentdbg.wrap_anthropic(anthropic.Anthropic(base_url=server.base_url, api_key=KEY, max_retries=2))


SUPPORT_SYSTEM = (
    "You are the support assistant of Acme Outdoor. Be concise and friendly. Use the tools to look up "
    "orders and shipments; never guess a delivery date. Order ids look like A-1234."
)
SUPPORT_TOOLS = [
    function_tool(
        "lookup_order",
        "Look up an order by id: items, status, tracking number.",
        {"order_id": {"type": "string", "description": "Order id, e.g. A-1042"}},
        ["order_id"],
    ),
    function_tool(
        "get_shipment",
        "Current carrier status and estimated delivery for a tracking number.",
        {"tracking_number": {"type": "string"}},
        ["tracking_number"],
    ),
]


@tool
def lookup_order(order_id: str) -> dict:
    return {
        "order_id": order_id,
        "items": [{"sku": "TENT-2P", "name": "Ridgeline 2P tent", "qty": 1}],
        "status": "shipped",
        "tracking_number": "1Z999AA10123456784",
    }


@tool
def get_shipment(tracking_number: str) -> dict:
    return {
        "tracking_number": tracking_number,
        "carrier": "UPS",
        "status": "in transit",
        "last_scan": "Denver, CO - departed facility",
        "estimated_delivery": "2026-11-27",
    }


def healthy_openai(server: FakeLLMServer, path: Path) -> None:
    """01: a support bot answers with two tool calls, streamed via the .stream() helper."""
    client = openai_client(server)
    server.enqueue(
        tool_call_reply(
            "lookup_order", {"order_id": "A-1042"}, usage={"input_tokens": 412, "output_tokens": 19}
        ),
        tool_call_reply(
            "get_shipment",
            {"tracking_number": "1Z999AA10123456784"},
            usage={"input_tokens": 538, "output_tokens": 24},
        ),
        reply(
            "Your Ridgeline 2P tent (order A-1042) shipped with UPS and left Denver today. "
            "It is expected on Thursday, November 27. Tracking: 1Z999AA10123456784.",
            usage={"input_tokens": 662, "output_tokens": 41},
            delay=0.05,
        ),
    )
    messages = [
        {"role": "system", "content": SUPPORT_SYSTEM},
        {"role": "user", "content": "Hi! My order A-1042 hasn't arrived yet. Where is it?"},
    ]
    metadata = {"user": "u-3317", "channel": "web-chat"}
    with agentdbg.trace("support-bot", path=path, metadata=metadata):  # noqa: SIM117 - reads like user code
        with agentdbg.span(
            "support-bot", kind="agent", input={"user_message": messages[-1]["content"]}
        ) as agent:
            answer = chat_agent(
                client,
                model="gpt-4o-mini",
                messages=messages,
                tools=SUPPORT_TOOLS,
                impls={"lookup_order": lookup_order, "get_shipment": get_shipment},
                stream=True,
                stream_options={"include_usage": True},
                temperature=0.2,
            )
            agent.set_output(answer)


RESEARCH_SYSTEM = (
    "You are a careful research assistant. Search before answering, read at least one primary source, "
    "and cite sources with their URL. Say when sources disagree."
)
RESEARCH_TOOLS = [
    claude_tool(
        "web_search",
        "Search the web. Returns titles, urls and snippets.",
        {"query": {"type": "string"}},
        ["query"],
    ),
    claude_tool("fetch_page", "Fetch a page and return its main text.", {"url": {"type": "string"}}, ["url"]),
]


@tool
def web_search(query: str) -> list[dict]:
    return [
        {
            "title": "Lithium iron phosphate vs NMC: energy density compared",
            "url": "https://batteryuniversity.example/lfp-vs-nmc",
            "snippet": "LFP cells reach 160-180 Wh/kg while NMC 811 cells reach 250-300 Wh/kg...",
        },
        {
            "title": "Why carmakers are switching to LFP",
            "url": "https://news.example/lfp-switch",
            "snippet": "Lower cost and longer cycle life outweigh the lower energy density for standard-range cars.",
        },
    ]


@tool
def fetch_page(url: str) -> str:
    return (
        "Gravimetric energy density at cell level: LFP 160-180 Wh/kg (best cells ~205 Wh/kg); NMC 811 "
        "250-300 Wh/kg. Volumetric: LFP ~350-400 Wh/L, NMC ~600-700 Wh/L. LFP tolerates 3,000-6,000 full "
        "cycles versus 1,000-2,000 for NMC and is far less prone to thermal runaway. (Battery University, 2026)"
    )


def anthropic_research(server: FakeLLMServer, path: Path) -> None:
    """02: a research assistant on Claude (streamed, with thinking); one call is retried after a 529."""
    client = anthropic_client(server)
    server.enqueue(
        tool_call_reply(
            "web_search",
            {"query": "LFP vs NMC energy density Wh/kg"},
            text="I'll look up current figures.",
            reasoning="The user wants a quantitative comparison. Search first, then read a primary source.",
            usage={"input_tokens": 1210, "output_tokens": 88},
        ),
        error_reply(529, "Overloaded", retry_after=0.05),
        tool_call_reply(
            "fetch_page",
            {"url": "https://batteryuniversity.example/lfp-vs-nmc"},
            reasoning="Snippets agree; fetch the first result to get exact ranges.",
            usage={"input_tokens": 1544, "output_tokens": 61},
        ),
        reply(
            "**Energy density:** NMC 811 cells store about 250-300 Wh/kg, LFP cells about 160-180 Wh/kg, so NMC "
            "holds roughly 50-70% more energy per kilogram (and ~70% more per litre).\n\n**Trade-offs:** LFP lasts "
            "3,000-6,000 cycles vs 1,000-2,000 for NMC, costs less and is much less prone to thermal runaway, which "
            "is why standard-range EVs are moving to it.\n\nSources: https://batteryuniversity.example/lfp-vs-nmc, "
            "https://news.example/lfp-switch",
            reasoning="Both sources agree; summarise numbers and trade-offs with citations.",
            usage={"input_tokens": 1893, "output_tokens": 142},
        ),
    )
    question = (
        "How does the energy density of LFP batteries compare with NMC, and why are EV makers switching?"
    )
    with (
        agentdbg.trace("research-assistant", path=path, metadata={"user": "u-881", "workspace": "evs"}),
        agentdbg.span("research-assistant", kind="agent", input={"question": question}) as agent,
    ):
        answer = claude_agent(
            client,
            model="claude-sonnet-4-6",
            system=RESEARCH_SYSTEM,
            messages=[{"role": "user", "content": question}],
            tools=RESEARCH_TOOLS,
            impls={"web_search": web_search, "fetch_page": fetch_page},
            thinking={"type": "enabled", "budget_tokens": 2048},
            max_tokens=4096,
        )
        agent.set_output(answer)


HELPDESK_SYSTEM = (
    "You are the IT helpdesk bot of Northwind. Answer from the knowledge base using search_kb. "
    "If you cannot find an answer, keep searching until you do."
)
HELPDESK_TOOLS = [
    function_tool(
        "search_kb",
        "Search the IT knowledge base.",
        {"query": {"type": "string"}},
        ["query"],
    ),
    function_tool(
        "create_ticket",
        "Open a ticket for the IT team when the knowledge base has no answer.",
        {"summary": {"type": "string"}, "priority": {"type": "string", "enum": ["low", "normal", "high"]}},
        ["summary"],
    ),
]


@tool
def search_kb(query: str) -> dict:
    return {"query": query, "results": [], "note": "0 articles matched"}


@tool
def create_ticket(summary: str, priority: str = "normal") -> dict:
    return {"ticket": "IT-20931", "summary": summary, "priority": priority}


def tool_loop(server: FakeLLMServer, path: Path) -> None:
    """03: the KB has no article, the prompt says 'keep searching', the model repeats one search forever."""
    client = openai_client(server)
    query = {"query": "VPN error 809 on Windows 11"}
    first = tool_call_reply("search_kb", query, usage={"input_tokens": 380, "output_tokens": 21})
    repeats = [
        tool_call_reply("search_kb", query, usage={"input_tokens": 430 + 52 * n, "output_tokens": 21})
        for n in range(1, 6)
    ]
    server.enqueue(first, *repeats)
    messages = [
        {"role": "system", "content": HELPDESK_SYSTEM},
        {
            "role": "user",
            "content": "My VPN fails with error 809 since the Windows 11 update. How do I fix it?",
        },
    ]
    with agentdbg.trace("helpdesk-bot", path=path, metadata={"user": "u-1207"}):
        try:
            with agentdbg.span("helpdesk-bot", kind="agent", input={"user_message": messages[-1]["content"]}):
                chat_agent(
                    client,
                    model="gpt-4o",
                    messages=messages,
                    tools=HELPDESK_TOOLS,
                    impls={"search_kb": search_kb, "create_ticket": create_ticket},
                    max_steps=6,
                )
        except MaxStepsExceeded:
            pass  # the framework gives up and shows a generic error; the agent step records why


ACCOUNT_TOOLS = [
    function_tool(
        "delete_account",
        "Ends the customer's plan and account.",
        {"customer_id": {"type": "string"}, "reason": {"type": "string"}},
        ["customer_id"],
    ),
    function_tool(
        "cancel_subscription",
        "Subscription management.",
        {"customer_id": {"type": "string"}, "at_period_end": {"type": "boolean"}},
        ["customer_id"],
    ),
    function_tool(
        "get_customer", "Customer profile and plan.", {"customer_id": {"type": "string"}}, ["customer_id"]
    ),
]


@tool
def get_customer(customer_id: str) -> dict:
    return {
        "customer_id": customer_id,
        "name": "Dana Whitfield",
        "plan": "Pro annual",
        "renews": "2027-01-14",
    }


@tool
def delete_account(customer_id: str, reason: str = "") -> dict:
    return {"customer_id": customer_id, "deleted": True, "data_purged": True, "reason": reason}


@tool
def cancel_subscription(customer_id: str, at_period_end: bool = True) -> dict:
    return {"customer_id": customer_id, "cancelled": True, "access_until": "2027-01-14"}


def wrong_tool(server: FakeLLMServer, path: Path) -> None:
    """04: 'cancel my subscription' → the model picks delete_account (vague tool descriptions)."""
    client = openai_client(server)
    server.enqueue(
        tool_call_reply(
            "get_customer", {"customer_id": "C-55120"}, usage={"input_tokens": 402, "output_tokens": 18}
        ),
        tool_call_reply(
            "delete_account",
            {"customer_id": "C-55120", "reason": "customer asked to cancel"},
            usage={"input_tokens": 489, "output_tokens": 27},
        ),
        reply(
            "Done! Your Pro plan has been cancelled and your account closed. Sorry to see you go, Dana.",
            usage={"input_tokens": 561, "output_tokens": 23},
        ),
    )
    messages = [
        {"role": "system", "content": "You are the billing assistant of Lumen Notes. Customer id: C-55120."},
        {
            "role": "user",
            "content": "Please cancel my subscription so it doesn't renew in January. I still want my notes.",
        },
    ]
    with (
        agentdbg.trace("billing-assistant", path=path, metadata={"customer": "C-55120"}),
        agentdbg.span(
            "billing-assistant", kind="agent", input={"user_message": messages[-1]["content"]}
        ) as a,
    ):
        impls = {
            "get_customer": get_customer,
            "delete_account": delete_account,
            "cancel_subscription": cancel_subscription,
        }
        a.set_output(chat_agent(client, model="gpt-4o", messages=messages, tools=ACCOUNT_TOOLS, impls=impls))


SQL_TOOLS = [
    {
        "type": "function",
        "name": "run_sql",
        "description": "Run a read-only SQL query on the analytics warehouse (PostgreSQL).",
        "parameters": {
            "type": "object",
            "properties": {
                "sql": {"type": "string", "description": "One SELECT statement"},
                "max_rows": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
            "required": ["sql"],
            "additionalProperties": False,
        },
    }
]


@tool
def run_sql(sql: str, max_rows: int = 100) -> dict:
    if not isinstance(max_rows, int):
        raise TypeError(f"max_rows must be an integer, got {max_rows!r}")
    return {"columns": ["month", "revenue_usd"], "rows": [["2026-09", 182340], ["2026-10", 201775]]}


def bad_arguments(server: FakeLLMServer, path: Path) -> None:
    """05: a data analyst agent (responses API) sends arguments its tool schema does not allow."""
    client = openai_client(server)
    bad = {"query": "SELECT month, sum(amount) FROM payments GROUP BY 1 ORDER BY 1", "max_rows": "all"}
    server.enqueue(
        tool_call_reply("run_sql", bad, usage={"input_tokens": 512, "output_tokens": 44}),
        reply(
            "I couldn't run the query because of a tool error. Monthly revenue is probably around $190k.",
            usage={"input_tokens": 640, "output_tokens": 25},
        ),
    )
    question = "What was our revenue per month for the last two months?"
    with (
        agentdbg.trace("data-analyst", path=path, metadata={"team": "finance"}),
        agentdbg.span("data-analyst", kind="agent", input={"question": question}) as agent,
    ):
        agent.set_output(
            responses_agent(
                client,
                model="gpt-4.1",
                instructions="You are a data analyst. Answer with numbers from the warehouse; never estimate.",
                user_input=question,
                tools=SQL_TOOLS,
                impls={"run_sql": run_sql},
            )
        )
