"""One adapter per model API: send a recorded request through the official SDK and continue its tool loop.

``adapter_for(api)`` returns the adapter of ``openai.chat.completions``,
``openai.responses`` or ``anthropic.messages``.
"""

from __future__ import annotations

from agentdbg.errors import ReplayError
from agentdbg.providers.anthropic_messages import AnthropicMessagesAdapter
from agentdbg.providers.base import (
    ProviderAdapter,
    SendResult,
    SequenceProblem,
    ToolCall,
    ToolResult,
    result_text,
)
from agentdbg.providers.openai_chat import OpenAIChatAdapter
from agentdbg.providers.openai_responses import OpenAIResponsesAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    adapter.api: adapter
    for adapter in (OpenAIChatAdapter(), OpenAIResponsesAdapter(), AnthropicMessagesAdapter())
}


def adapter_for(api: str) -> ProviderAdapter:
    """The adapter of ``api`` (one of ``ADAPTERS``).

    Raises:
        ReplayError: for an API no adapter speaks.
    """
    adapter = ADAPTERS.get(api)
    if adapter is None:
        raise ReplayError(f"cannot replay API {api!r}; supported: {', '.join(ADAPTERS)}")
    return adapter


__all__ = [
    "ADAPTERS",
    "AnthropicMessagesAdapter",
    "OpenAIChatAdapter",
    "OpenAIResponsesAdapter",
    "ProviderAdapter",
    "SendResult",
    "SequenceProblem",
    "ToolCall",
    "ToolResult",
    "adapter_for",
    "result_text",
]
