"""Problems found while reading a trace: named by file, line and field, never raised."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning", "info"]


class Problem(BaseModel):
    """One thing wrong with one line of a file; the rest of the file still loads."""

    path: str
    line: int
    message: str
    field: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        field = f" [{self.field}]" if self.field else ""
        return f"{where}: {self.severity}{field}: {self.message}"
