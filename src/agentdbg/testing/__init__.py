"""Test helpers shipped with agentdbg: a scripted local LLM server speaking the real wire protocols."""

from agentdbg.testing.llm_server import (
    FakeLLMServer,
    RecordedRequest,
    Reply,
    ScriptedToolCall,
    error_reply,
    reply,
    tool_call_reply,
    tool_calls_reply,
)

__all__ = [
    "FakeLLMServer",
    "RecordedRequest",
    "Reply",
    "ScriptedToolCall",
    "error_reply",
    "reply",
    "tool_call_reply",
    "tool_calls_reply",
]
