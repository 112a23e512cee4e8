"""An MCP server so a coding agent (Claude Code, Cursor, Codex) can debug agent runs: ``agentdbg mcp``.

``queries`` holds what each tool answers (plain functions over the library, tested without the SDK),
``roots`` the rule that every path lies under the server's roots, ``runs`` the cache of opened traces,
``server`` the registration with the official ``mcp`` SDK (``pip install 'agentdbg[mcp]'``).
"""
