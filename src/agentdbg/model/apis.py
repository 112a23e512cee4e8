"""The provider APIs agentdbg understands, by their canonical names."""

from __future__ import annotations

OPENAI_CHAT = "openai.chat.completions"
OPENAI_RESPONSES = "openai.responses"
ANTHROPIC_MESSAGES = "anthropic.messages"
APIS = (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES)


def api_key(provider: str | None, api: str | None) -> str:
    """Normalise ``provider`` + ``api`` to one of ``APIS`` (or ``provider.api`` as given)."""
    provider = str(provider or "").lower()
    api = str(api or "").lower()
    if api in APIS:
        return api
    if provider == "anthropic":
        return ANTHROPIC_MESSAGES
    if provider == "openai" and api in ("responses", "response"):
        return OPENAI_RESPONSES
    if provider == "openai":
        return OPENAI_CHAT
    return f"{provider}.{api}".strip(".")
