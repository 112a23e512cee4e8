"""One definition of "input tokens incl. cache" (model/usage.py), used by totals, tree rows and the index."""

from __future__ import annotations

from agentdbg.importers import open_trace
from agentdbg.model.records import Usage
from agentdbg.model.usage import cached_part, input_incl_cache, input_incl_cache_raw, usage_from_response
from agentdbg.render.tree import header_lines
from tests.importers.corpus import DATA


def test_anthropic_counts_cache_apart_openai_inside() -> None:
    anthropic = usage_from_response(
        "anthropic.messages",
        {
            "usage": {
                "input_tokens": 3,
                "output_tokens": 172,
                "cache_read_input_tokens": 14874,
                "cache_creation_input_tokens": 1331,
            }
        },
    )
    openai = usage_from_response(
        "openai.chat.completions",
        {
            "usage": {
                "prompt_tokens": 2473,
                "completion_tokens": 10,
                "prompt_tokens_details": {"cached_tokens": 2304},
            }
        },
    )
    assert input_incl_cache(anthropic) == 3 + 14874 + 1331 and cached_part(anthropic) == 14874
    assert input_incl_cache(openai) == 2473 and cached_part(openai) == 2304
    assert input_incl_cache(None) is None and cached_part(None) == 0
    assert input_incl_cache_raw(anthropic.model_dump()) == input_incl_cache(anthropic)
    assert input_incl_cache(Usage(output_tokens=5)) is None


def test_tree_rows_header_and_step_summaries_use_it() -> None:
    trace = open_trace(DATA / "claude_code_2x/4d5611e5-241a-462a-8d15-5122611a9569.jsonl")
    first = trace.llm_spans[0]
    assert first.summary().input_tokens == 1 + 29360 + 149
    header = header_lines(trace).plain
    assert "43.0k in (29.4k cached) / 4 out tokens" in header
