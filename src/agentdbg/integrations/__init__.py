"""Hooks into frameworks' own tracing (``openai_agents.processor(path)``); each needs its framework installed."""
