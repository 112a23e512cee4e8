"""Optional system parts some tests need (a browser, the framework matrix, tracing backends, the MCP SDK).

On a developer's machine a missing part skips its tests with the reason and the install command, so the
README's test command passes on a machine that has only Python. ``.ci/run`` installs every part and sets
``AGENTDBG_REQUIRE_PARTS=1``: there a missing part is a failure, so CI still proves what it tests.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "AGENTDBG_REQUIRE_PARTS"


def parts_required() -> bool:
    """True under ``.ci/run``: every optional part must be present."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def require_part(part: str, available: bool, how_to_install: str) -> None:
    """Skip (developer machine) or fail (CI) the calling test when ``part`` is not available."""
    if available:
        return
    message = f"{part} is not installed here ({how_to_install})"
    if parts_required():
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)
