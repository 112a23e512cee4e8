"""Explain a failed run with a model: root cause plus candidate fixes as replayable patches (no rich, no textual).

::

    from agentdbg.explain import explain

    result = explain("run.jsonl", verify=True)      # keys from OPENAI_API_KEY / ANTHROPIC_API_KEY
    result.answer.root_cause, result.answer.failure_step
    for fix in result.answer.fixes:
        fix.step, fix.kind, fix.patch_json, fix.rationale   # an RFC 6902 patch for `agentdbg replay --patch`
    result.checks        # with verify: per fix, replay status, findings before/after, answer changed
    result.fix_path      # the best verified fix, written as fix-N.json beside the trace

``explain(..., dry_run=True)`` gathers the evidence and the offline findings and asks nothing.
Errors: ``NoApiKeyError`` (carries the offline ``findings``), ``ExplainError``, ``InvalidAnswerError``.
"""

from agentdbg.explain.answer import CandidateFix, ModelAnswer, PatchOp, answer_schema, parse_answer
from agentdbg.explain.ask import DEFAULT_MODELS, KEY_ENV, PROVIDERS, ProviderChoiceError, choose_provider
from agentdbg.explain.check import FixCheck
from agentdbg.explain.errors import ExplainError, InvalidAnswerError, NoApiKeyError
from agentdbg.explain.evidence import DEFAULT_BUDGET_TOKENS, Evidence, gather_evidence
from agentdbg.explain.run import ExplainResult, explain

__all__ = [
    "DEFAULT_BUDGET_TOKENS",
    "DEFAULT_MODELS",
    "KEY_ENV",
    "PROVIDERS",
    "CandidateFix",
    "Evidence",
    "ExplainError",
    "ExplainResult",
    "FixCheck",
    "InvalidAnswerError",
    "ModelAnswer",
    "NoApiKeyError",
    "PatchOp",
    "ProviderChoiceError",
    "answer_schema",
    "choose_provider",
    "explain",
    "gather_evidence",
    "parse_answer",
]
