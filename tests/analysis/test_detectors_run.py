"""Context, truncation, retrieval and error detectors: each on a run that shows the pattern and on one that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdbg.analysis import DiagnoseOptions, Finding, diagnose
from agentdbg.model.windows import context_window

from .builders import SEARCH_DOCS, WEATHER, Run, healthy_run


def of(findings: list[Finding], pattern: str) -> list[Finding]:
    return [finding for finding in findings if finding.pattern == pattern]


def test_context_window_table_matches_dated_names_by_longest_prefix() -> None:
    assert context_window("gpt-4o-2024-08-06") == 128_000
    assert context_window("gpt-4-0613") == 8_192
    assert context_window("claude-3-5-sonnet-20241022") == 200_000
    assert context_window("openai/gpt-4o-mini") == 128_000
    assert context_window("my-local-model") is None
    assert context_window("my-local-model-q4", {"my-local-model": 4096}) == 4096


def test_context_pressure_at_the_first_step_over_90_percent(tmp_path: Path) -> None:
    run = Run(model="gpt-4-0613", tools=[WEATHER])
    run.user("Summarise these logs")
    run.call_tool("get_weather", {"city": "Paris"}, "x", tokens=(5_000, 20))
    run.call_tool("get_weather", {"city": "Rome"}, "y", tokens=(7_500, 20))  # 92% of 8192
    run.llm("Done.", tokens=(8_000, 10))
    findings = of(diagnose(run.trace(tmp_path)), "context")
    assert len(findings) == 1
    assert findings[0].step == 3 and findings[0].severity == "warning"
    assert findings[0].details["window"] == 8_192 and findings[0].details["share"] == pytest.approx(
        7_500 / 8_192, abs=1e-3
    )


def test_window_override_and_unknown_models(tmp_path: Path) -> None:
    run = Run(model="local-llama")
    run.user("hi")
    run.llm("hello", tokens=(3_900, 5))
    trace = run.trace(tmp_path)
    assert of(diagnose(trace), "context") == []  # window unknown: no guess
    over = of(diagnose(trace, DiagnoseOptions(windows={"local-llama": 4_000})), "context")
    assert len(over) == 1 and over[0].step == 1


def test_overflow_api_error_is_a_context_finding_not_a_generic_error(tmp_path: Path) -> None:
    run = Run(model="gpt-4o")
    run.user("Analyse this huge file " + "lorem ipsum " * 50)
    run.llm(
        error={
            "type": "BadRequestError",
            "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.",
            "status_code": 400,
        }
    )
    findings = diagnose(run.trace(tmp_path))
    context = of(findings, "context")
    assert (
        len(context) == 1 and context[0].severity == "error" and context[0].title == "context window overflow"
    )
    assert [f.details.get("kind") for f in of(findings, "error")] == ["no-final-answer"]


def test_answer_cut_off_at_max_tokens(tmp_path: Path) -> None:
    run = Run()
    run.user("Write a long essay")
    run.llm("Once upon a", finish_reason="length")
    findings = of(diagnose(run.trace(tmp_path)), "context")
    assert [f.title for f in findings] == ["answer cut off at the output limit"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_system_prompt_dropped_from_a_later_request(tmp_path: Path, provider: str) -> None:
    run = Run(provider=provider, tools=[WEATHER])
    run.user("Weather in Paris?")
    run.call_tool("get_weather", {"city": "Paris"}, {"forecast": "rain"})
    if provider == "openai":
        run.messages = run.messages[1:]  # the agent's history trimming removed the system message
    else:
        run.system = None
    run.llm("Rainy.")
    findings = of(diagnose(run.trace(tmp_path)), "truncation")
    assert len(findings) == 1
    assert findings[0].step == 3 and findings[0].details["system_prompt_dropped"] is True
    assert findings[0].related_steps == [1]


def test_earlier_turns_dropped_by_a_sliding_window(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    run.user("Weather in Paris?")
    run.call_tool("get_weather", {"city": "Paris"}, {"forecast": "rain"})
    run.llm("Rainy.")
    run.user("And in Rome?")
    run.messages = [run.messages[0]] + run.messages[-3:]  # keep system + last answer + new question
    run.call_tool("get_weather", {"city": "Rome"}, {"forecast": "sun"})
    run.llm("Sunny.")
    findings = of(diagnose(run.trace(tmp_path)), "truncation")
    assert len(findings) == 1 and findings[0].step == 4
    assert findings[0].details["missing"] == 2 and findings[0].details["system_prompt_dropped"] is False


def test_side_calls_and_subagents_are_separate_conversations(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    run.user("Weather in Paris?")
    run.call_tool("get_weather", {"city": "Paris"}, {"forecast": "rain"})
    main_history = run.messages
    run.messages = [
        {"role": "system", "content": "You classify text."},
        {"role": "user", "content": "Classify: rain"},
    ]
    run.llm("weather")  # a side call with its own prompt
    run.messages = main_history
    sub = run.agent("researcher")
    run.messages = [{"role": "user", "content": "Research Paris climate"}]
    run.llm("Mild climate.", parent=sub)
    run.messages = main_history
    run.llm("Rainy.")
    assert of(diagnose(run.trace(tmp_path)), "truncation") == []


def test_irrelevant_retrieval_explains_the_score(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS])
    run.user("How do I reset my password?")
    run.retrieval(
        "reset account password",
        [
            {"text": "Quarterly revenue grew 12% on strong subscriptions."},
            {"text": "Our office dog is named Biscuit."},
        ],
    )
    run.call_tool(
        "search_docs",
        {"query": "password reset steps"},
        "1. Reset your password from the login page.\n\n2. Check your email for the password reset link.",
    )
    run.llm("Use the login page.")
    findings = of(diagnose(run.trace(tmp_path)), "retrieval")
    assert len(findings) == 1
    finding = findings[0]
    assert finding.step == 1 and finding.details["relevance"] == 0.0
    assert finding.details["query_terms"] == ["account", "password", "reset"]
    assert "contains 0 of 3" in finding.evidence


def test_relevant_retrieval_is_quiet(tmp_path: Path) -> None:
    run = Run()
    run.user("How do I reset my password?")
    run.retrieval(
        "reset account password", ["To reset your password open Account settings.", "Unrelated note."]
    )
    run.llm("Open Account settings.")
    assert of(diagnose(run.trace(tmp_path)), "retrieval") == []


def test_tool_exception_api_error_and_error_results(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER, SEARCH_DOCS])
    run.user("Weather in Paris?")
    run.call_tool(
        "get_weather",
        {"city": "Paris"},
        None,
        error={"type": "ConnectionError", "message": "weather API unreachable"},
    )
    run.call_tool("search_docs", {"query": "paris weather"}, "Error: index unavailable")
    run.llm(error={"type": "RateLimitError", "message": "Rate limit reached", "status_code": 429})
    findings = of(diagnose(run.trace(tmp_path)), "error")
    assert [(f.step, f.details["kind"]) for f in findings] == [
        (2, "exception"),
        (4, "tool-result"),
        (5, "api"),
        (5, "no-final-answer"),
    ]
    assert "retry" in findings[2].fix


def test_crashed_run_points_at_the_open_leaf(tmp_path: Path) -> None:
    run = Run(tools=[WEATHER])
    agent = run.agent("main")
    run.records = [r for r in run.records if r["type"] != "span_end"]  # the agent never ended either
    run.user("Weather in Paris?")
    (call_id,) = run.llm(None, [("get_weather", {"city": "Paris"})], parent=agent)
    run.tool("get_weather", {"city": "Paris"}, None, call_id=call_id, parent=agent, ended=False)
    findings = of(diagnose(run.trace(tmp_path)), "error")
    incomplete = [f for f in findings if f.details["kind"] == "incomplete"]
    assert [f.step for f in incomplete] == [3]
    assert "step-1" in incomplete[0].evidence
    final = [f for f in findings if f.details["kind"] == "no-final-answer"]
    assert final and "get_weather" in final[0].evidence


def test_max_steps_limit_from_metadata(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS], metadata={"max_steps": 3})
    run.user("Find the SLA")
    for query in ("sla", "service level", "uptime"):
        run.call_tool("search_docs", {"query": query}, "nothing")
    findings = of(diagnose(run.trace(tmp_path)), "error")
    assert [f.details["kind"] for f in findings] == ["max-steps"]
    assert "max-steps limit (3" in findings[0].evidence


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_healthy_run_has_no_error_context_truncation_or_retrieval_findings(
    tmp_path: Path, provider: str
) -> None:
    run = healthy_run(provider)
    run.user("Thanks! And how do I reset my password?")
    run.retrieval("reset password", ["Reset your password from the login page."])
    run.llm("Use the login page.")
    findings = diagnose(run.trace(tmp_path))
    assert findings == []


def test_a_retried_transient_api_error_is_a_warning(tmp_path: Path) -> None:
    run = Run()
    run.user("hello")
    run.llm(error={"type": "InternalServerError", "message": "Overloaded", "status_code": 529})
    run.llm("Hi!")
    findings = of(diagnose(run.trace(tmp_path)), "error")
    assert [(f.step, f.severity, f.title) for f in findings] == [
        (1, "warning", "API error (HTTP 529), retried")
    ]


def test_rewritten_query_that_drops_the_users_names(tmp_path: Path) -> None:
    run = Run(model="gpt-4o-mini")
    agent = run.agent("hr-assistant")
    question = "I work part-time in our Berlin office. How much parental leave (Elternzeit) can I take?"
    run.messages = [
        {"role": "system", "content": "Rewrite the question as a short search query."},
        {"role": "user", "content": question},
    ]
    run.llm("parental leave part-time employees", parent=agent)
    docs = [
        {
            "title": "Parental leave (US offices)",
            "text": "Part-time US employees receive 12 weeks of paid parental leave.",
            "score": 0.71,
        },
        {
            "title": "Public holidays in Germany",
            "text": "Offices in Berlin and Munich close on public holidays.",
            "score": 0.66,
        },
    ]
    run.retrieval("parental leave part-time employees", docs, parent=agent)
    run.messages = [
        {"role": "system", "content": "Answer from these documents."},
        {"role": "user", "content": question},
    ]
    run.llm("You get 12 weeks.", parent=agent)
    findings = of(diagnose(run.trace(tmp_path)), "retrieval")
    assert len(findings) == 1 and findings[0].step == 3
    assert (
        findings[0].details["key_terms"] == ["berlin", "elternzeit"]
        and findings[0].details["top_score"] == 0.71
    )
    assert "keeps none of them" in findings[0].evidence


def test_parallel_subagents_calling_one_tool_are_not_a_loop(tmp_path: Path) -> None:
    run = Run(tools=[SEARCH_DOCS])
    subs = [run.agent(f"researcher-{n}") for n in range(2)]
    run.messages = [{"role": "user", "content": "Summarise the changes"}]
    for round_ in range(3):
        for index, sub in enumerate(subs):
            (call,) = run.llm(None, [("search_docs", {"query": ["api", "ui"][index]})], parent=sub)
            run.tool(
                "search_docs", {"query": ["api", "ui"][index]}, f"PR list {round_}", call_id=call, parent=sub
            )
    run.llm("Done.")
    loops = of(diagnose(run.trace(tmp_path)), "loop")
    assert [(f.details["kind"], f.details["count"]) for f in loops] == [
        ("repeat", 3),
        ("repeat", 3),
    ]  # one per sub-agent, no ping-pong


def test_estimated_tokens_ignore_base64_attachments(tmp_path: Path) -> None:
    run = Run(model="gpt-4-0613")
    image = "data:image/png;base64," + "A" * 200_000  # ~50k "tokens" if counted as text
    run.messages.append(
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image_url", "image_url": {"url": image}},
            ],
        }
    )
    run.llm(ended=False)  # a crashed call: no usage, so tokens are estimated
    assert of(diagnose(run.trace(tmp_path)), "context") == []
    long_text = Run(model="gpt-4-0613")
    long_text.user("word " * 40_000)  # ~200k characters of text: well over an 8k window
    long_text.llm(ended=False)
    (finding,) = of(diagnose(long_text.trace(tmp_path, "long.jsonl")), "context")
    assert finding.details["estimated"] is True and finding.severity == "error"
