"""Calls to a tool the request did not offer (a hallucinated or misspelt tool name)."""

from __future__ import annotations

import difflib

from agentdbg.analysis.facts import Step, StepFindings
from agentdbg.analysis.findings import Finding
from agentdbg.analysis.llm_facts import LlmFacts


class Detector(StepFindings):
    """Each llm step's calls against the tool names its own request offered (no state across steps)."""

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is None:
            return
        findings = self.findings
        offers_tools = "tools" in view.request or "functions" in view.request
        if not offers_tools or not view.replayable or self.context.damaged(span):
            return  # imported or partial request: what was offered is not known
        offered = [spec.name for spec in view.tools]
        for call in view.tool_calls:
            if call.name in offered:
                continue
            close = difflib.get_close_matches(call.name, offered, n=1, cutoff=0.6)
            listing = ", ".join(offered[:12]) + (" …" if len(offered) > 12 else "")
            evidence = f"the model called {call.name!r}, but the request offered only: {listing or '(an empty tool list)'}"
            fix = (
                f"Did it mean {close[0]!r}? Make the tool names distinct and descriptive, and answer an unknown call "
                "with an error that lists the real tools."
                if close
                else "Offer the tool if the agent needs it, or say in the system prompt which tools exist; "
                "answer an unknown call with an error that lists the real tools."
            )
            findings.append(
                Finding(
                    severity="error",
                    pattern="unknown-tool",
                    step=span.step,
                    span_id=span.id,
                    title=f"call to unknown tool {call.name}",
                    evidence=evidence,
                    fix=fix,
                    details={"tool": call.name, "offered": offered, "closest": close[0] if close else None},
                )
            )
