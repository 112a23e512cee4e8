"""Translate a request between APIs (``--provider``): chat.completions, responses and messages, through one neutral form.

Text, tool calls, tool results, tool definitions and the common sampling parameters carry over;
reasoning/thinking blocks are dropped (they are provider-specific). Images and other
non-text content are refused with a clear error rather than silently lost. Each API's side of
the translation is its codec's ``conversation()`` / ``build_request()`` (``agentdbg.wire``).
"""

from __future__ import annotations

from typing import Any

from agentdbg.errors import ConversionError
from agentdbg.wire import CODECS

__all__ = ["ConversionError", "convert_request"]


def convert_request(request: dict[str, Any], source_api: str, target_api: str, model: str) -> dict[str, Any]:
    """``request`` (for ``source_api``) rewritten for ``target_api`` and ``model``.

    Raises:
        ConversionError: for content that has no equivalent (images, files, hosted tools).
    """
    if source_api == target_api:
        return {**request, "model": model}
    return CODECS[target_api].build_request(CODECS[source_api].conversation(request), model)
