"""The OTLP exporter's direct byte encoder and history buffers give the dict path's bytes exactly."""

from __future__ import annotations

import math

import orjson
import pytest

from agentdbg.exporters.otlp_encode import MAX_DEPTH, Unusual, value_bytes
from agentdbg.exporters.otlp_history import HistoryBuffers, shared_prefix
from agentdbg.exporters.otlp_json import any_value
from agentdbg.model.messages import Message

VALUES = [
    "plain",
    'quote " backslash \\ newline \n control \x01 é 日本',
    0,
    -7,
    2**70,
    1.5,
    1e-7,
    math.inf,
    math.nan,
    True,
    False,
    None,
    [],
    {},
    [1, "a", None, [2.5, {"k": None, "j": [True]}]],
    {"role": "user", "parts": [{"type": "text", "content": "hi"}], "drop": None, 3: "int key"},
    ("tuple", 1),
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_value_bytes_is_the_dict_path(value: object) -> None:
    assert value_bytes(value) == orjson.dumps(any_value(value), default=str, option=orjson.OPT_NON_STR_KEYS)


def test_unusual_values_are_left_to_the_dict_path() -> None:
    class Text(str):
        pass

    deep: object = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    for value in (Text("x"), object(), deep):
        with pytest.raises(Unusual):
            value_bytes(value)


def test_history_buffers_join_what_each_history_holds() -> None:
    messages = [Message(role="user", text=f"m{n}") for n in range(12)]
    other = [Message(role="user", text=f"o{n}") for n in range(5)]

    def item(message: Message) -> bytes:
        return message.text.encode()

    buffers = HistoryBuffers()
    histories = [
        messages[:3],
        messages[:6],
        other[:2],  # another conversation interleaved
        messages[:8],
        other[:5],
        messages[1:9],  # a trimmed history: no shared prefix
        messages[:4],  # shorter than the buffer: cut back
        [],
        messages,
    ]
    for history in histories:
        view = buffers.joined(history, item)
        assert bytes(view) == b",".join(map(item, history))
    assert shared_prefix(messages[:5], messages[:3] + other) == 3
