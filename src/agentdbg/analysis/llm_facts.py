"""What the detectors read of an llm step (``LlmFacts``), from its view or from a compact request's chain.

An agent re-sends its whole history every step, so building each step's full neutral prompt costs
the square of the run. The detectors need little of the prompt: the last user text and how many
user turns it has, its size (a token estimate when usage is missing), and, for the truncation
detector, whether it starts with the previous request's whole prompt. ``LlmFacts.of_view`` takes
these from a whole view (the exact path: imported traces, a step the index reads whole);
``ChainFacts`` carries them along ``request_ref`` chains (``store/compact.py``): a compact request
is its base's request plus the items it writes, so only those items go through the wire codec
(``model.views.request_messages``, message by message as ``ViewMemo`` converts them) and the rest
is the base's. Anything it does not recognise (another API, a base it did not keep, a reference
that does not fit, a conversion that fails) returns ``None`` and the caller takes the exact path; a
test compares both on every step of varied traces.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from agentdbg.model.apis import APIS, api_key
from agentdbg.model.messages import Message, ToolCallRef, ToolSpec
from agentdbg.model.view_memo import PER_MESSAGE
from agentdbg.model.views import LLMView, request_messages, request_tools, response_messages
from agentdbg.store.compact import SAME, referable
from agentdbg.store.index_pass import PassStep
from agentdbg.wire import codec

_CONVERSION_ERRORS = (ValidationError, TypeError, AttributeError, ValueError)  # as LLMView.of catches
PROMPT_KEY = "messages"  # the list the per-message APIs (PER_MESSAGE) keep their history in
KEPT = 64  # chain states kept: a base is nearly always among the latest llm steps


@dataclass(slots=True)
class PromptFacts:
    """What the detectors read of a run of prompt messages: last user text, user turns, characters."""

    user_text: str = ""
    user_turns: int = 0
    chars: int = 0

    def add(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.text
            if message.role == "user" and text.strip():
                self.user_text, self.user_turns = text, self.user_turns + 1
            self.chars += len(text) + sum(len(str(c.arguments)) + len(c.name) for c in message.tool_calls)

    def add_neutral(self, neutral: list[dict[str, Any]]) -> None:
        """``add`` of the ``Message`` objects of ``neutral`` messages that ``plain`` passed (the same facts)."""
        for message in neutral:
            text = message["text"]
            if message["role"] == "user" and text.strip():
                self.user_text, self.user_turns = text, self.user_turns + 1
            self.chars += len(text) + sum(
                len(str(c["arguments"])) + len(c["name"]) for c in message["tool_calls"]
            )

    def then(self, later: PromptFacts) -> PromptFacts:
        """These messages followed by ``later``'s."""
        return PromptFacts(
            later.user_text or self.user_text, self.user_turns + later.user_turns, self.chars + later.chars
        )


_ROLES = frozenset(("system", "developer", "user", "assistant", "tool"))


def _str_or_none_typed(value: Any) -> bool:
    return value is None or type(value) is str


def plain(neutral: list[dict[str, Any]]) -> bool:
    """Whether ``Message.model_validate`` would take each of a codec's ``neutral`` messages as it is: the
    values a codec passes on from the wire unconverted (ids, names) have the model's types and there are
    no attachments. Such messages are read as dicts (``PromptFacts.add_neutral``, ``_answer``) without
    building the pydantic objects; any other goes through the model, which may refuse it."""
    for message in neutral:
        if (
            message["role"] not in _ROLES
            or type(message["text"]) is not str
            or not _str_or_none_typed(message["tool_call_id"])
            or not _str_or_none_typed(message["tool_name"])
            or type(message["is_error"]) is not bool
            or message["attachments"]
            or any(type(part) is not str for part in message["reasoning"])
        ):
            return False
        for call in message["tool_calls"]:
            if (
                not _str_or_none_typed(call["id"])
                or type(call["name"]) is not str
                or not _str_or_none_typed(call["arguments_raw"])
                or type(call["arguments_valid_json"]) is not bool
            ):
                return False
    return True


def _answer(api: str, response: Any) -> tuple[str, list[ToolCallRef]]:
    """(answer text, tool calls) of a response, as ``response_messages`` gives them (``LLMView.answer_text``
    and ``.tool_calls``), without building ``Message`` objects when the codec's messages are ``plain``."""
    wire = codec(api) if type(response) is dict else None
    if wire is not None:
        neutral = wire.response_messages(response)
        if plain(neutral):
            text = "\n".join(message["text"] for message in neutral if message["text"])
            calls = [
                ToolCallRef.model_validate(call) for message in neutral for call in message["tool_calls"]
            ]
            return text, calls
    answer = response_messages(api, response)
    return "\n".join(m.text for m in answer if m.text), [call for m in answer for call in m.tool_calls]


def prompt_facts(messages: list[Message]) -> PromptFacts:
    facts = PromptFacts()
    facts.add(messages)
    return facts


@dataclass(slots=True)
class LlmFacts:
    """An llm step as the detectors read it: the request's keys but its message list, the answer, the tools
    offered, and the prompt's facts. ``prompt`` is the whole neutral prompt on the exact path, ``None``
    when the facts were carried along a chain; ``extends`` is then the step whose whole prompt this
    one's starts with (``None`` if not known)."""

    api: str
    provider: str | None
    model: str | None
    request: dict[str, Any]
    has_request: bool
    response: Any
    answer_text: str
    tool_calls: list[ToolCallRef]  # the answer's
    tools: list[ToolSpec]
    replayable: bool
    prompt_facts: PromptFacts
    prompt: list[Message] | None = None
    extends: int | None = None

    @property
    def user_text(self) -> str:
        return self.prompt_facts.user_text

    @property
    def user_turns(self) -> int:
        return self.prompt_facts.user_turns

    @classmethod
    def of_view(cls, view: LLMView) -> LlmFacts:
        """The exact path: the facts of a whole view."""
        request = view.request
        return cls(
            api=view.api,
            provider=view.provider,
            model=view.model,
            request={key: value for key, value in request.items() if key != PROMPT_KEY},
            has_request=bool(request),
            response=view.response,
            answer_text=view.answer_text,
            tool_calls=view.tool_calls,
            tools=view.tools,
            replayable=view.replayable,
            prompt_facts=prompt_facts(view.prompt),
            prompt=view.prompt,
        )


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class _Chain:
    """What a later request of the chain needs of this one."""

    api: str
    rest: dict[str, Any]  # the request's keys but PROMPT_KEY, values shared along the chain
    referable: set[str]  # keys of ``rest`` a reference may pass on whole (the reader keeps parts of them)
    count: int | None  # items of the message list (None: the request has none)
    head: list[Message]  # the prompt's messages from ``rest`` (an anthropic system prompt)
    tail: PromptFacts  # facts of the messages from the message list
    tools: list[ToolSpec]


class ChainFacts:
    """``LlmFacts`` of the llm steps of one pass, carried along ``request_ref`` chains (see the module doc)."""

    def __init__(self) -> None:
        self._kept: OrderedDict[int, _Chain] = OrderedDict()

    def _keep(self, position: int, chain: _Chain) -> None:
        self._kept[position] = chain
        if len(self._kept) > KEPT:
            self._kept.popitem(last=False)

    def seed(self, position: int, request: Any, facts: LlmFacts) -> None:
        """Keep what later requests need of a step read whole (``request``: its whole request)."""
        self._kept.pop(position, None)
        items = request.get(PROMPT_KEY) if isinstance(request, dict) else None
        if facts.api not in PER_MESSAGE or facts.prompt is None or not facts.replayable:
            return
        if items is not None and type(items) is not list:
            return
        rest = facts.request
        try:
            head = request_messages(facts.api, rest) if rest else []
        except _CONVERSION_ERRORS:
            return
        if facts.prompt[: len(head)] != head:
            return
        tail = prompt_facts(facts.prompt[len(head) :])
        passed_on = {key for key, value in rest.items() if referable(value)}
        self._keep(
            position,
            _Chain(
                facts.api, rest, passed_on, None if items is None else len(items), head, tail, facts.tools
            ),
        )

    def facts(self, step: PassStep, base: int | None) -> LlmFacts | None:
        """The facts of a compact llm step whose base sits at position ``base``; ``None``: take the exact path."""
        chain = self._kept.get(base) if base is not None else None
        ref = step.request_ref
        given = step.input
        if chain is None or type(ref) is not dict or type(given) is not dict:
            return None
        keys = ref.get("keys")
        request = given.get("request")
        if type(keys) is not dict or type(request) is not dict or type(ref.get("base")) is not str:
            return None
        provider = given.get("provider")
        api = api_key(provider, given.get("api"))
        if api != chain.api:
            return None
        rest: dict[str, Any] = {}
        passed_on: set[str] = set()
        written: list[Any] = []
        count: int | None = None
        extends = False
        for key, value in request.items():
            how = keys.get(key)
            if how is not None and type(how) is not int:
                return None
            if key == PROMPT_KEY:
                if how is None:
                    if type(value) is not list:
                        return None
                    written, count = value, len(value)
                elif how == SAME and chain.count is not None:
                    count, extends = chain.count, True
                elif how >= 0 and how == chain.count and type(value) is list:
                    written, count, extends = value, how + len(value), True
                else:
                    return None  # a shorter prefix of the base's history: the exact path
                continue
            if how is None:
                rest[key] = value
                if referable(value):
                    passed_on.add(key)
            elif how == SAME:
                if key not in chain.referable:
                    return None
                rest[key] = chain.rest[key]
                passed_on.add(key)
            elif how >= 0:
                earlier = chain.rest.get(key)
                if type(earlier) is not list or len(earlier) < how or type(value) is not list:
                    return None
                rest[key] = earlier[:how] + value
                passed_on.add(key)
            else:
                return None
        try:
            head = request_messages(api, rest) if rest else []
            tail = chain.tail if extends else PromptFacts()
            if written:
                added = PromptFacts()
                wire = codec(api)  # the chain's api: one of PER_MESSAGE, which codecs know
                assert wire is not None
                for item in written:
                    neutral = wire.request_messages({PROMPT_KEY: [item]})
                    if plain(neutral):
                        added.add_neutral(neutral)
                    else:
                        added.add([Message.model_validate(message) for message in neutral])
                tail = tail.then(added)
            response = step.output
            answer_text, tool_calls = _answer(api, response)
            same_tools = rest.get("tools") is chain.rest.get("tools") and rest.get(
                "functions"
            ) is chain.rest.get("functions")
            tools = chain.tools if same_tools else request_tools(api, rest)
        except _CONVERSION_ERRORS:
            return None
        extends = extends and head == chain.head
        self._keep(step.step - 1, _Chain(api, rest, passed_on, count, head, tail, tools))
        attributes = step.attributes
        model = rest.get("model") or attributes.get("model")
        if isinstance(response, dict) and response.get("model"):
            model = model or response.get("model")
        return LlmFacts(
            api=api,
            provider=_str_or_none(provider),
            model=_str_or_none(model),
            request=rest,
            has_request=bool(request),
            response=response,
            answer_text=answer_text,
            tool_calls=tool_calls,
            tools=list(tools),
            replayable=bool(attributes.get("replayable", True)) and api in APIS and bool(request),
            prompt_facts=prompt_facts(head).then(tail),
            extends=(base + 1) if extends and base is not None else None,
        )


__all__ = ["ChainFacts", "LlmFacts", "PromptFacts", "prompt_facts"]
