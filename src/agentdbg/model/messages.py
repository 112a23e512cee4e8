"""The provider-neutral message view: what every pane, detector and diff reads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Role = Literal["system", "developer", "user", "assistant", "tool"]


class ToolCallRef(BaseModel):
    """A tool call the model asked for. ``arguments`` is parsed JSON when it parses, else the raw string."""

    id: str | None = None
    name: str
    arguments: Any = None
    arguments_raw: str | None = None
    arguments_valid_json: bool = True


class Attachment(BaseModel):
    """Content that is not text (image, audio, file), kept as a labelled placeholder."""

    kind: str
    media_type: str | None = None
    size: int | None = None
    source: str | None = None

    def label(self) -> str:
        size = f", {self.size:,} bytes" if self.size is not None else ""
        media = f" {self.media_type}" if self.media_type else ""
        src = f" {self.source}" if self.source else ""
        return f"[{self.kind}{media}{size}{src}]"


class Message(BaseModel):
    """One message by role; tool results are ``tool`` messages with ``tool_call_id``."""

    role: Role
    text: str = ""
    tool_calls: list[ToolCallRef] = Field(default_factory=list)
    tool_call_id: str | None = None
    tool_name: str | None = None
    is_error: bool = False
    reasoning: list[str] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)


class ToolSpec(BaseModel):
    """A tool the request offered to the model."""

    name: str
    description: str = ""
    parameters: dict[str, Any] | None = None
