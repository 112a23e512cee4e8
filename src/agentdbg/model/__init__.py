"""The trace model: file records, assembled spans, the trace, and the neutral message view."""

from agentdbg.model.messages import Attachment, Message, ToolCallRef, ToolSpec
from agentdbg.model.problems import Problem
from agentdbg.model.records import (
    SCHEMA_VERSION,
    SPAN_KINDS,
    ErrorInfo,
    ForkOf,
    SpanEndRecord,
    SpanRecord,
    SpanStartRecord,
    TraceHeader,
    Usage,
)
from agentdbg.model.span import Span
from agentdbg.model.trace import Trace
from agentdbg.model.views import (
    ANTHROPIC_MESSAGES,
    APIS,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    LLMView,
    ToolView,
    api_key,
    request_messages,
    request_tools,
    response_messages,
    usage_from_response,
)

__all__ = [
    "ANTHROPIC_MESSAGES",
    "APIS",
    "OPENAI_CHAT",
    "OPENAI_RESPONSES",
    "SCHEMA_VERSION",
    "SPAN_KINDS",
    "Attachment",
    "ErrorInfo",
    "ForkOf",
    "LLMView",
    "Message",
    "Problem",
    "Span",
    "SpanEndRecord",
    "SpanRecord",
    "SpanStartRecord",
    "ToolCallRef",
    "ToolSpec",
    "ToolView",
    "Trace",
    "TraceHeader",
    "Usage",
    "api_key",
    "request_messages",
    "request_tools",
    "response_messages",
    "usage_from_response",
]
