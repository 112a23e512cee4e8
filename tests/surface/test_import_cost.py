"""Import cost falls on the user's agent: ``import agentdbg`` + ``wrap_openai`` loads only what capture needs.

Run in a fresh interpreter so the modules other tests loaded do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import agentdbg
after_import = sorted(sys.modules)
agentdbg.wrap_openai, agentdbg.wrap_anthropic, agentdbg.trace, agentdbg.tool, agentdbg.span
print(json.dumps({"import": after_import, "capture": sorted(sys.modules)}))
"""

# Never needed to record a run: the readers of foreign formats, the faces and everything behind replay.
FORBIDDEN_TOP = ("rich", "textual", "typer", "click", "jsonschema", "yaml", "msgspec", "jsonpatch")
FORBIDDEN_OURS = (
    "agentdbg.importers",
    "agentdbg.analysis",
    "agentdbg.cli",
    "agentdbg.explain",
    "agentdbg.providers",
    "agentdbg.render",
    "agentdbg.replay",
    "agentdbg.tui",
    "agentdbg.mcp_server",
)


def _modules() -> dict[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_import_agentdbg_loads_only_errors() -> None:
    ours = [m for m in _modules()["import"] if m.startswith("agentdbg")]
    assert ours == ["agentdbg", "agentdbg.errors"]


def test_capture_loads_no_importers_ui_or_cli() -> None:
    loaded = _modules()["capture"]
    tops = {name.split(".")[0] for name in loaded}
    assert not tops & set(FORBIDDEN_TOP), sorted(tops & set(FORBIDDEN_TOP))
    ours = [m for m in loaded if m.startswith(FORBIDDEN_OURS)]
    assert ours == []
