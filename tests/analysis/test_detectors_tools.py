"""Loop, schema, unknown-tool and wrong-tool detectors: each on a run that shows the pattern and on one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdbg.analysis import DiagnoseOptions, Finding, diagnose

from .builders import CALCULATOR, SEARCH_DOCS, SEND_EMAIL, WEATHER, Run, healthy_run, tool_spec


def of(findings: list[Finding], pattern: str) -> list[Finding]:
    return [finding for finding in findings if finding.pattern == pattern]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_healthy_run_has_no_warning_or_error(tmp_path: Path, provider: str) -> None:
    findings = diagnose(healthy_run(provider).trace(tmp_path))
    assert [f for f in findings if f.severity != "info"] == []


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_same_call_three_times_is_a_loop_at_the_first_call(tmp_path: Path, provider: str) -> None:
    run = Run(provider=provider, tools=[SEARCH_DOCS, WEATHER])
    run.user("How do I rotate an API key in the dashboard?")
    for _ in range(4):
        run.call_tool("search_docs", {"query": "rotate API key dashboard"}, "No results found.")
    run.llm("I could not find it.")
    findings = of(diagnose(run.trace(tmp_path)), "loop")
    assert len(findings) == 1
    loop = findings[0]
    assert loop.step == 2  # step-1 is the first llm call, step-2 its tool step
    assert loop.details["count"] == 4 and loop.details["results_identical"] is True
    assert loop.severity == "error"
    assert loop.related_steps == [2, 4, 6, 8]
    assert "search_docs called 4 times in a row" in loop.evidence


def test_near_equal_arguments_count_as_the_same_call(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS])
    run.user("How do I rotate an API key?")
    for query in ("rotate api key", "rotate API key", "rotate the api key"):
        run.call_tool("search_docs", {"query": query}, f"nothing for {query}")
    run.llm("Sorry.")
    loop = of(diagnose(run.trace(tmp_path)), "loop")
    assert len(loop) == 1 and loop[0].details["count"] == 3 and loop[0].severity == "warning"


def test_threshold_is_configurable_and_two_calls_are_not_a_loop(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS])
    run.user("How do I rotate an API key?")
    run.call_tool("search_docs", {"query": "rotate key"}, "nothing")
    run.call_tool("search_docs", {"query": "rotate key"}, "nothing")
    run.llm("Sorry.")
    trace = run.trace(tmp_path)
    assert of(diagnose(trace), "loop") == []
    assert len(of(diagnose(trace, DiagnoseOptions(loop_threshold=2)), "loop")) == 1


def test_different_arguments_and_new_user_turns_are_not_loops(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    run.user("Weather in Paris, Berlin and Rome?")
    for city in ("Paris", "Berlin", "Rome"):
        run.call_tool("get_weather", {"city": city}, {"forecast": "sunny"})
    run.llm("All sunny.")
    for _ in range(2):  # same call again, but each time because the user asked again
        run.user("And Paris again?")
        run.call_tool("get_weather", {"city": "Paris"}, {"forecast": "sunny"})
        run.llm("Sunny.")
    assert of(diagnose(run.trace(tmp_path)), "loop") == []


def test_ping_pong_between_two_tools(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS, CALCULATOR])
    run.user("What is 15% of the Pro plan price?")
    for _ in range(3):
        run.call_tool("search_docs", {"query": "pro plan price"}, "Pro plan: see pricing page")
        run.call_tool("calculator", {"expression": "0.15 * price"}, "Error: unknown name price")
    run.llm("I could not compute it.")
    loop = of(diagnose(run.trace(tmp_path)), "loop")
    assert len(loop) == 1
    assert loop[0].details["kind"] == "ping-pong" and loop[0].details["tools"] == [
        "search_docs",
        "calculator",
    ]
    assert loop[0].step == 2


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_schema_violations_are_named(tmp_path: Path, provider: str) -> None:
    run = Run(provider=provider, tools=[WEATHER, SEND_EMAIL])
    run.user("Email bob@example.com the forecast for Paris in kelvin")
    run.call_tool(
        "get_weather", {"city": 75001, "unit": "kelvin"}, "Error: bad unit"
    )  # wrong type + bad enum
    run.call_tool(
        "send_email", {"recipient": "bob@example.com", "body": "hi"}, "Error: missing to"
    )  # missing required + unknown property
    run.llm("Done.")
    findings = of(diagnose(run.trace(tmp_path)), "schema")
    assert [f.step for f in findings] == [1, 3]
    weather_keywords = {p["keyword"] for p in findings[0].details["problems"]}
    assert weather_keywords == {"type", "enum"}
    email_keywords = {p["keyword"] for p in findings[1].details["problems"]}
    assert email_keywords == {"required", "additionalProperties"}
    assert "'to' is a required property" in findings[1].evidence
    assert all(f.severity == "error" for f in findings)


def test_arguments_that_are_not_json(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    run.user("Weather in Paris?")
    run.llm(None, [("get_weather", '{"city": "Par')], finish_reason="length")
    findings = diagnose(run.trace(tmp_path))
    schema = of(findings, "schema")
    assert len(schema) == 1 and "not valid JSON" in schema[0].title and schema[0].step == 1


def test_strict_tool_schema_is_closed_and_open_schema_only_notes_extras(tmp_path: Path) -> None:
    strict = {
        **tool_spec("lookup_order", "Look up an order by id", {"order_id": {"type": "string"}}, ["order_id"]),
        "strict": True,
    }
    run = Run(tools=[strict, WEATHER])
    run.user("Where is order A17, and the weather in Oslo?")
    run.call_tool("lookup_order", {"order_id": "A17", "verbose": True}, {"status": "shipped"})
    run.call_tool("get_weather", {"city": "Oslo", "days": 3}, {"forecast": "snow"})
    run.llm("Shipped; snowing in Oslo.")
    findings = of(diagnose(run.trace(tmp_path)), "schema")
    assert [(f.step, f.severity) for f in findings] == [(1, "error"), (3, "info")]
    assert findings[1].details["undeclared"] == ["days"]


def test_valid_arguments_raise_nothing(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER, SEND_EMAIL])
    run.user("Email bob@example.com the Paris forecast")
    run.call_tool("get_weather", {"city": "Paris", "unit": "celsius"}, {"forecast": "rain"})
    run.call_tool("send_email", {"to": "bob@example.com", "body": "Rain in Paris"}, "sent")
    run.llm("Sent.")
    findings = diagnose(run.trace(tmp_path))
    assert of(findings, "schema") == [] and of(findings, "unknown-tool") == []


def test_unknown_tool_with_closest_suggestion(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER, SEARCH_DOCS])
    run.user("Weather in Lima?")
    run.call_tool("get_wether", {"city": "Lima"}, "Error: no such tool")
    run.llm("Could not check.")
    findings = of(diagnose(run.trace(tmp_path)), "unknown-tool")
    assert len(findings) == 1 and findings[0].step == 1
    assert findings[0].details["closest"] == "get_weather"
    assert "'get_weather'" in findings[0].fix


def test_wrong_tool_is_a_suspicion_with_reasoning(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER, SEARCH_DOCS, SEND_EMAIL])
    run.user("Search the documentation for how to configure SSO login")
    run.call_tool("get_weather", {"city": "SSO"}, {"forecast": "sunny"})
    run.llm("It is sunny.")
    findings = of(diagnose(run.trace(tmp_path)), "wrong-tool")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.step == 1 and finding.severity == "warning"
    assert finding.details["suggested"] == "search_docs"
    assert "suspicion" in finding.evidence
    assert finding.details["overlap"]["search_docs"] == ["documentation", "search"]
    assert finding.details["overlap"]["get_weather"] == []


def test_right_tool_is_not_flagged(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER, SEARCH_DOCS, SEND_EMAIL])
    run.user("Search the documentation for how to configure SSO login")
    run.call_tool(
        "search_docs", {"query": "configure SSO"}, "Settings > Security > SSO: configure login with SAML"
    )
    run.llm("Go to Settings > Security > SSO.")
    assert of(diagnose(run.trace(tmp_path)), "wrong-tool") == []


def test_switch_to_unrelated_tool_after_an_error(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS, SEND_EMAIL, CALCULATOR])
    run.user("Find the refund policy in our documentation")
    run.call_tool(
        "search_docs",
        {"query": "refund policy"},
        None,
        error={"type": "TimeoutError", "message": "index timed out"},
    )
    run.call_tool("calculator", {"expression": "2+2"}, "4")
    run.llm("The answer is 4.")
    findings = of(diagnose(run.trace(tmp_path)), "wrong-tool")
    assert len(findings) == 1 and findings[0].step == 3
    assert findings[0].details == {"failed_tool": "search_docs", "next_tool": "calculator"}


def test_lookup_first_is_fine_but_the_acting_tool_is_suspected(tmp_path: Path) -> None:
    tools = [
        tool_spec(
            "delete_account",
            "Ends the customer's plan and account.",
            {"customer_id": {"type": "string"}},
            ["customer_id"],
        ),
        tool_spec(
            "cancel_subscription",
            "Subscription management.",
            {"customer_id": {"type": "string"}},
            ["customer_id"],
        ),
        tool_spec(
            "get_customer", "Customer profile and plan.", {"customer_id": {"type": "string"}}, ["customer_id"]
        ),
    ]
    run = Run(tools=tools)
    run.user("Please cancel my subscription so it doesn't renew in January. I still want my notes.")
    run.call_tool("get_customer", {"customer_id": "C-1"}, {"plan": "Pro"})
    run.call_tool("delete_account", {"customer_id": "C-1"}, {"deleted": True})
    run.llm("Done, account closed.")
    findings = of(diagnose(run.trace(tmp_path)), "wrong-tool")
    assert [(f.step, f.details["tool"], f.details["suggested"]) for f in findings] == [
        (3, "delete_account", "cancel_subscription")
    ]
    assert "cancel_subscription was never called" in findings[0].evidence


def test_acting_after_the_matching_tool_is_not_suspected(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS, SEND_EMAIL, CALCULATOR])
    run.user("Search the documentation for the SSO setup guide and mail it to me")
    run.call_tool("search_docs", {"query": "SSO setup guide"}, "SSO setup guide: Settings > Security > SSO")
    run.call_tool("calculator", {"expression": "1+1"}, "2")
    run.llm("Here it is.")
    assert of(diagnose(run.trace(tmp_path)), "wrong-tool") == []
