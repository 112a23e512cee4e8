"""The capture SDK: record every LLM call, tool call and step of a real agent into a trace file.

    client = agentdbg.wrap_openai(OpenAI())      # or wrap_anthropic(Anthropic()); async clients too
    agentdbg.instrument()                         # or: every client created from now on, anywhere

    @agentdbg.tool
    def get_weather(city: str) -> str: ...

    with agentdbg.trace("support-bot", metadata={"user": "u42"}):
        with agentdbg.span("plan", kind="agent"):
            ...

Recording never raises into the program it records, never writes API keys or
auth headers, and is switched off entirely by ``AGENTDBG_DISABLED=1``.
"""

from agentdbg.capture.clients import wrap_anthropic, wrap_openai
from agentdbg.capture.instrument import instrument, uninstrument
from agentdbg.capture.redact import mask_secrets
from agentdbg.capture.scope import TraceScope, trace
from agentdbg.capture.session import TraceSession
from agentdbg.capture.spans import SpanHandle, carry_context, current_span, span
from agentdbg.capture.tools import tool

__all__ = [
    "SpanHandle",
    "TraceScope",
    "TraceSession",
    "carry_context",
    "current_span",
    "instrument",
    "mask_secrets",
    "span",
    "tool",
    "trace",
    "uninstrument",
    "wrap_anthropic",
    "wrap_openai",
]
