"""Irrelevant retrieval: documents that share few words with the query that fetched them.

The score of a document is the share of the query's content terms it contains
(stopwords dropped, light stemming); the best document's score is the step's
relevance. No model and no network, so the score is explained term by term.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from agentdbg.analysis.facts import PassFacts, RunContext, Step, StepRef
from agentdbg.analysis.findings import DiagnoseOptions, Finding
from agentdbg.analysis.lexical import coverage, snippet, term_set, terms
from agentdbg.analysis.llm_facts import LlmFacts

_RETRIEVAL_NAME = re.compile(
    r"search|retriev|lookup|look_up|knowledge|docs|rag|vector|fetch_doc|find_doc", re.IGNORECASE
)
_QUERY_KEYS = ("query", "q", "question", "search", "search_query", "text", "prompt", "keywords", "input")
_LIST_KEYS = ("documents", "docs", "results", "hits", "items", "matches", "chunks", "passages", "data")
_TEXT_KEYS = ("title", "text", "content", "page_content", "snippet", "body", "summary", "chunk", "document")
_EMPTY = re.compile(
    r"^\W*(no (results?|matches|documents?|hits)|nothing (was )?found|not found|0 results|empty)\b",
    re.IGNORECASE,
)
_PARAGRAPHS = re.compile(r"\n\s*\n|\n(?=\s*(?:\d+[.)]|[-*•]|\[\d+\])\s)")
MIN_QUERY_TERMS = 2
MIN_DOCUMENT_TERMS = 3  # shorter results ("not found", "ok") say nothing about relevance


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def query_of(arguments: Any) -> str:
    """The query text: a query-like key if there is one, else every string argument."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return arguments
    if isinstance(arguments, dict):
        for key in _QUERY_KEYS:
            if isinstance(arguments.get(key), str):
                return str(arguments[key])
    return " ".join(_strings(arguments))


def _document_text(item: Any) -> str:
    if isinstance(item, dict):
        picked = [str(item[key]) for key in _TEXT_KEYS if isinstance(item.get(key), str)]
        return " ".join(picked) if picked else " ".join(_strings(item))
    return " ".join(_strings(item))


def _parsed_container(text: str, opening: str = "[{") -> Any:
    """``json.loads(text)`` when it may give a list or object (``text`` opens with one of ``opening``),
    else ``None``: a tool result is mostly plain text, and a failed parse costs more than this look."""
    if text.lstrip()[:1] not in opening:
        return None  # json.loads would give no list or object here (it skips less whitespace than lstrip)
    try:
        return json.loads(text)
    except ValueError:
        return None


def documents_of(result: Any) -> list[str]:
    """The retrieved documents: list items, a list under a results-like key, or paragraphs of text."""
    if isinstance(result, str):
        parsed = _parsed_container(result)
        if isinstance(parsed, (list, dict)):
            result = parsed
        else:
            if "\n" not in result:  # both of the splits below start at a newline
                return [result] if result.strip() else []
            return [part for part in _PARAGRAPHS.split(result) if part.strip()]
    if isinstance(result, dict):
        for key in _LIST_KEYS:
            if isinstance(result.get(key), list):
                return [_document_text(item) for item in result[key]]
        return [_document_text(result)]
    if isinstance(result, list):
        return [_document_text(item) for item in result]
    return []


def _candidate(span: Step) -> tuple[str, Any] | None:
    """(query, result) of a retrieval step or a search-like tool call that ended without an error."""
    if not span.ended or span.error is not None:
        return None
    if span.kind == "retrieval":
        return query_of(span.input), span.output
    if span.kind == "tool" and _RETRIEVAL_NAME.search(span.name or ""):
        tool = span.tool
        if tool is not None:
            return query_of(tool.arguments), tool.result
    return None


_NAME = re.compile(r"\b(?:[A-Z][a-z]+[A-Za-z]*|[A-Z]{2,}[a-z]?)\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")
_SCORE_KEYS = ("score", "relevance_score", "similarity", "_score")


def key_terms(request: str) -> list[str]:
    """Names in the request (capitalised words not opening a sentence, acronyms): what a query must keep."""
    found: dict[str, None] = {}
    for match in _NAME.finditer(request):
        word = match.group()
        if word == "I" or (_SENTENCE_START.search(request[: match.start()]) and not word.isupper()):
            continue
        for term in terms(word):
            found[term] = None
    return list(found)


def _top_document(result: Any, documents: list[str]) -> tuple[str, float | None]:
    """The retriever's top document (highest score field, else the first) and its score."""
    items = result if isinstance(result, list) else None
    if isinstance(result, str):
        parsed = _parsed_container(result, "[")
        items = parsed if isinstance(parsed, list) else None
    if items and all(isinstance(item, dict) for item in items):
        scores = [
            next((item[k] for k in _SCORE_KEYS if isinstance(item.get(k), (int, float))), None)
            for item in items
        ]
        if all(score is not None for score in scores):
            index = max(range(len(items)), key=lambda i: scores[i] or 0)
            return _document_text(items[index]), scores[index]
    return documents[0], None


@functools.lru_cache(maxsize=256)
def _key_terms(request: str) -> tuple[str, ...]:
    return tuple(key_terms(request))  # an agent's request is the same for all of its retrievals


def _lost_key_terms(
    span: StepRef, request: str, query: str, top: str, top_terms: frozenset[str], score: float | None
) -> Finding | None:
    """The query dropped every name the user gave, and the top document mentions none of them either."""
    names = list(_key_terms(request))
    if not names or request.strip() == query.strip():
        return None
    query_terms = term_set(query)
    if any(name in query_terms or name in top_terms for name in names):
        return None
    ranked = f" (retriever score {score})" if score is not None else ""
    return Finding(
        severity="warning",
        pattern="retrieval",
        step=span.step,
        span_id=span.id,
        title="irrelevant retrieval: the query lost the request's key terms",
        evidence=(
            f"the user asked {snippet(request, 90)!r}, naming {', '.join(names)}; the query {snippet(query, 60)!r} keeps "
            f"none of them, and the top document{ranked} {snippet(top, 70)!r} mentions none either (relevance to the "
            f"request's key terms: 0 of {len(names)}): it answers the query, not the question"
        ),
        fix=(
            "Keep the user's names (places, products, ids) in the rewritten query or pass them as filters; "
            "check that the top documents mention them before answering from them."
        ),
        details={"query": query, "key_terms": names, "relevance": 0.0, "top_score": score},
    )


def _low_overlap(
    span: StepRef, query: str, documents: list[tuple[str, frozenset[str]]], options: DiagnoseOptions
) -> Finding | None:
    """No document shares enough of the query's terms (``documents``: each with its terms)."""
    query_terms = sorted(set(terms(query)))
    if len(query_terms) < MIN_QUERY_TERMS:
        return None
    scored = [(coverage(query_terms, doc_terms), doc) for doc, doc_terms in documents]
    (best, matched), best_doc = max(scored, key=lambda item: item[0][0])
    if best >= options.retrieval_threshold:
        return None
    zero = sum(1 for (score, _), _ in scored if score == 0)
    return Finding(
        severity="warning",
        pattern="retrieval",
        step=span.step,
        span_id=span.id,
        title=f"irrelevant retrieval: relevance {best:.2f}",
        evidence=(
            f"query {snippet(query, 80)!r} has terms {', '.join(query_terms)}; the best of {len(documents)} "
            f"document(s) contains {len(matched)} of {len(query_terms)} ({', '.join(matched) or 'none'}), "
            f"{zero} contain none; best document: {snippet(best_doc, 80)!r}"
        ),
        fix=(
            "Check the query the model wrote and the index it searched; rewrite the query with the user's key "
            "terms, filter results below a relevance score, or tell the model to say when nothing relevant was found."
        ),
        details={
            "query": query,
            "query_terms": query_terms,
            "relevance": round(best, 4),
            "scores": [round(score, 4) for (score, _), _ in scored],
            "threshold": options.retrieval_threshold,
        },
    )


# (step, query, top document, its terms, its retriever score, the agent's last request before it)
_Waiting = tuple[StepRef, str, str, frozenset[str], float | None, str]


class Detector:
    """Each retrieval as it passes; one whose documents fit the query is judged against the user's request
    once it is known: as the agent's next llm step saw it (it reads the results), else the latest before."""

    LIGHT = True  # reads no LlmFacts.prompt (facts.StepDetector)

    def __init__(self, context: RunContext) -> None:
        self.options = context.options
        self.findings: list[Finding] = []
        self.latest: dict[str | None, str] = {}  # per agent: the last non-empty user text so far
        self.waiting: dict[str | None, list[_Waiting]] = {}

    def step(self, span: Step, view: LlmFacts | None) -> None:
        if view is not None:
            request = view.user_text
            if request:
                self.latest[span.parent_id] = request
                for waiting in self.waiting.pop(span.parent_id, []):
                    self._judge(waiting, request)
            return
        candidate = _candidate(span)
        if candidate is None:
            return
        query, result = candidate
        documents: list[tuple[str, frozenset[str]]] = []  # each document with its terms, found once
        for doc in documents_of(result):
            doc_terms = terms(doc)
            if len(doc_terms) >= MIN_DOCUMENT_TERMS and not _EMPTY.match(doc):
                documents.append((doc, frozenset(doc_terms)))
        if not documents:
            return
        ref = StepRef.of(span)
        finding = _low_overlap(ref, query, documents, self.options)
        if finding is not None:
            self.findings.append(finding)
            return
        top, score = _top_document(result, [doc for doc, _ in documents])
        top_terms = next((found for doc, found in documents if doc == top), None) or term_set(top)
        before = self.latest.get(span.parent_id, "")
        self.waiting.setdefault(span.parent_id, []).append((ref, query, top, top_terms, score, before))

    def _judge(self, waiting: _Waiting, request: str) -> None:
        ref, query, top, top_terms, score, _ = waiting
        finding = _lost_key_terms(ref, request, query, top, top_terms, score)
        if finding is not None:
            self.findings.append(finding)

    def finish(self, facts: PassFacts) -> list[Finding]:
        for group in self.waiting.values():  # no later llm step of the agent: the request before it
            for waiting in group:
                self._judge(waiting, waiting[5])
        self.waiting.clear()
        self.findings.sort(key=lambda finding: finding.step)
        return self.findings
