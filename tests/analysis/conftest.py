"""Every analysis test keeps the search cache in its own temp folder, never in the user's ~/.cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.mktemp("agentdbg-cache")
    monkeypatch.setenv("AGENTDBG_CACHE_DIR", str(folder))
    return folder
