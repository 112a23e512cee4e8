"""``python -m agentdbg.testing [--port N] [--text T]``: run the fake LLM server from a shell."""

from agentdbg.testing.llm_server import main

main()
