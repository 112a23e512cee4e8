"""Where agentdbg keeps caches: the search cache and converted foreign files live side by side.

``$AGENTDBG_CACHE_DIR``, else ``$XDG_CACHE_HOME/agentdbg``, else ``~/.cache/agentdbg``.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where agentdbg keeps caches (created on first write)."""
    explicit = os.environ.get("AGENTDBG_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "agentdbg"


__all__ = ["cache_dir"]
