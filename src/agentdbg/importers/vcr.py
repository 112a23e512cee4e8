"""VCR cassettes (YAML or JSON, plain or gzipped; Python's vcrpy and Ruby's VCR) of OpenAI and Anthropic API calls
as replayable llm steps.

Each recorded interaction holds the whole request body as sent, so it becomes an
llm step that replay can re-send. Bodies come from pydantic-ai's ``parsed_body``
or classic VCR ``body.string`` (plain, bytes, or gzip). Secret headers are never kept. The tool runs
between the calls are rebuilt by ``ImportBuilder.build`` (``model/derived_tools.py``), as for every importer.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from agentdbg.importers import Importer, register
from agentdbg.importers._common import (
    ImportBuilder,
    as_dict,
    maybe_json,
    parse_time,
    sniff_json_head,
    text_of,
)
from agentdbg.importers._yaml import load_yaml
from agentdbg.model.records import ErrorInfo
from agentdbg.model.trace import Trace
from agentdbg.model.views import api_key, usage_from_response
from agentdbg.wire import codec
from agentdbg.wire.sse import sse_events

_SECRET_HEADERS = {
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "openai-organization",
    "openai-project",
}
_KEPT_RESPONSE_HEADERS = {
    "request-id",
    "x-request-id",
    "openai-processing-ms",
    "anthropic-organization-id",
    "date",
    "content-type",
}


_GZIP = b"\x1f\x8b"
MAX_GUNZIPPED_BYTES = 256 * 1024 * 1024  # a compressed cassette may not grow past this (gzip bombs)


def _gunzip(data: bytes, limit: int) -> bytes:
    """At most ``limit`` bytes of gzip ``data`` decompressed (a head that stops mid-stream gives what it has)."""
    return zlib.decompressobj(wbits=31).decompress(data, limit)


def sniff(head: bytes, path: Path) -> bool:
    if head.startswith(_GZIP):  # LangChain's standard-tests keep their cassettes as gzipped YAML (.yaml.gz)
        try:
            head = _gunzip(head, 64 * 1024)
        except zlib.error:
            return False
    text = sniff_json_head(head)
    if text.startswith(b"{"):
        window = text[:4096]
        return (b'"interactions"' in window and b'"request"' in text) or (
            b'"requests"' in window and b'"responses"' in text and b'"uri"' in text
        )
    head = text[:4096]
    starts = text.startswith(b"interactions:") or b"\ninteractions:" in head
    ruby = b"\nhttp_interactions:" in head or text.startswith(b"http_interactions:")  # Ruby's VCR
    if (starts or ruby) and b"request:" in text:
        return True
    # vcrpy's cassette dict as LangChain's CustomSerializer dumps it: parallel ``requests`` / ``responses`` lists
    # (keys sorted: ``requests`` first, each request's ``body`` before its ``uri``, which a long body pushes
    # past the head)
    first = text.lstrip()[:200]
    return first.startswith(b"requests:") and any(
        key in first for key in (b"- body:", b"- headers:", b"- method:", b"- uri:")
    )


def _load_document(path: Path, b: ImportBuilder) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        b.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return None
    if raw.startswith(_GZIP):
        stream = zlib.decompressobj(wbits=31)
        try:
            raw = stream.decompress(raw, MAX_GUNZIPPED_BYTES + 1)
        except zlib.error as exc:
            b.problem(f"not a readable gzip file (corrupt?): {exc}", 1, "error")
            return None
        if len(raw) <= MAX_GUNZIPPED_BYTES and not stream.eof:
            b.problem("the gzip stream ends early (truncated file?); not read", 1, "error")
            return None
        if len(raw) > MAX_GUNZIPPED_BYTES:
            b.problem(f"decompressed cassette is over {MAX_GUNZIPPED_BYTES >> 20} MB; not read", 1, "error")
            return None
    try:
        return load_yaml(raw, path)  # a safe loader, aliases bounded; JSON is valid YAML
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        b.problem(f"not valid YAML/JSON (truncated or corrupt cassette?): {str(exc)[:300]}", line, "error")
        return None


def _interactions(document: Any, b: ImportBuilder) -> Any:
    """The cassette's interactions: ``interactions`` (vcrpy), ``http_interactions`` (Ruby's VCR), or vcrpy's
    own ``requests`` / ``responses`` lists paired in order (LangChain's gzipped YAML cassettes)."""
    if not isinstance(document, dict):
        return None
    if "interactions" in document or "http_interactions" in document:
        return document.get("interactions", document.get("http_interactions"))
    requests, responses = document.get("requests"), document.get("responses")
    if not isinstance(requests, list):
        return None
    if not isinstance(responses, list):
        b.problem(
            "no `responses` list beside `requests`; requests kept without answers", 1, "warning", "responses"
        )
        responses = []
    elif len(responses) != len(requests):
        b.problem(
            f"{len(requests)} requests but {len(responses)} responses; paired in order",
            1,
            "warning",
            "responses",
        )
    return [
        {"request": request, "response": responses[i] if i < len(responses) else None}
        for i, request in enumerate(requests)
    ]


def _header(headers: Any, name: str) -> Any:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return value[0] if isinstance(value, list) and value else value
    return None


def _body(part: dict[str, Any]) -> Any:
    """The decoded body of a recorded request/response (JSON when it is JSON)."""
    if "parsed_body" in part:
        return part["parsed_body"]
    body = part.get("body")
    if isinstance(body, dict):
        body = body.get("string", body.get("base64_string"))
    if isinstance(body, bytes):
        raw_bytes: bytes = body
        encoding = str(_header(part.get("headers"), "content-encoding") or "").lower()
        for decode in (gzip.decompress, zlib.decompress, lambda data: data):
            try:
                body = decode(raw_bytes).decode("utf-8")
                break
            except (OSError, zlib.error, UnicodeDecodeError, EOFError):
                continue
        else:
            return {"undecodable_body_bytes": len(raw_bytes), "content_encoding": encoding}
    if isinstance(body, str):
        try:
            return json.loads(body)
        except ValueError:
            return body
    return body


def _assembled(api: str, body: Any, attributes: dict[str, Any]) -> Any:
    """A streamed (``text/event-stream``) response body as the response it adds up to, through the
    API's codec; the body itself when it is not a stream the codec knows."""
    wire = codec(api)
    if wire is None or not isinstance(body, str) or not body.lstrip().startswith(("event:", "data:")):
        return body
    assembled = wire.assemble(sse_events(body.encode("utf-8")))
    if assembled.response is None:
        return body
    attributes["stream"] = True
    if not assembled.complete:
        attributes["stream_complete"] = False
    return assembled.response


def _api_of(uri: str, request: Any) -> tuple[str | None, str | None]:
    parsed = urlparse(uri)
    host, route = parsed.netloc.lower(), parsed.path.lower()
    if route.endswith("/messages") or "anthropic" in host:
        return "anthropic", "messages"
    if route.endswith("/chat/completions"):
        return "openai", "chat.completions"
    if route.endswith("/responses"):
        return "openai", "responses"
    if "openai" in host:
        return "openai", route.rsplit("/", 1)[-1] or None
    return host or None, route or None


def _status_code(response: dict[str, Any]) -> int | None:
    """The HTTP status: vcrpy's and Ruby VCR's ``status.code``, go-vcr's ``code`` (its ``status`` is the
    "200 OK" text)."""
    status = response.get("status")
    for value in (as_dict(status).get("code"), response.get("code"), status):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.split(" ", 1)[0].isdigit():
            return int(value.split(" ", 1)[0])
    return None


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")


def _go_duration(value: Any) -> float | None:
    """Seconds from a Go duration string (go-vcr's response ``duration``, e.g. "1m2.5s", "812.3ms")."""
    if not isinstance(value, str) or not value:
        return None
    parts = _GO_DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value.strip():
        return None
    return sum(float(number) * _GO_UNITS[unit] for number, unit in parts)


def _interaction(b: ImportBuilder, index: int, interaction: Any, root_id: str) -> None:
    if not isinstance(interaction, dict) or not isinstance(interaction.get("request"), dict):
        b.problem(f"interaction {index} has no request object; kept raw", index + 1, "warning")
        b.keep_unknown("interaction without request", index + 1)
        b.add(
            "custom",
            f"interaction {index}",
            parent_id=root_id,
            attributes={"raw": interaction},
            line=index + 1,
        )
        return
    request_part = interaction["request"]
    response_part = as_dict(interaction.get("response"))
    uri = str(request_part.get("uri") or request_part.get("url") or "")  # go-vcr writes ``url``
    request = _body(request_part)
    response = _body(response_part) if response_part else None
    provider, api = _api_of(uri, request)
    known = api_key(provider, api) in ("openai.chat.completions", "openai.responses", "anthropic.messages")
    code = _status_code(response_part)
    headers = response_part.get("headers") or {}
    attributes: dict[str, Any] = {
        "replayable": known and isinstance(request, dict),
        "http": {"method": request_part.get("method"), "uri": uri, "status": code},
        "response_headers": {k: v for k, v in headers.items() if str(k).lower() in _KEPT_RESPONSE_HEADERS}
        if isinstance(headers, dict)
        else {},
    }
    if not known:
        b.keep_unknown(f"API {provider}{urlparse(uri).path}", index + 1)
    if isinstance(request, dict) and request.get("model"):
        attributes["model"] = request.get("model")
    if isinstance(request, dict) and request.get("stream"):
        attributes["stream"] = True
    response = _assembled(api_key(provider, api), response, attributes)
    request_id = _header(headers, "request-id") or _header(headers, "x-request-id")
    if request_id:
        attributes["request_id"] = request_id
    started = parse_time(response.get("created")) if isinstance(response, dict) else None
    took = _go_duration(response_part.get("duration"))
    if took is not None:
        attributes["duration_s"] = took
    date = _header(headers, "date")
    if started is None and isinstance(date, str):
        try:
            started = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            started = None
    error = None
    if isinstance(code, int) and code >= 400:
        detail = response.get("error") if isinstance(response, dict) else None
        message = detail.get("message") if isinstance(detail, dict) else text_of(response)[:500]
        error = ErrorInfo(type=f"HTTP {code}", message=str(message), status_code=code, body=response)
    usage = (
        usage_from_response(api_key(provider, api), response)
        if isinstance(response, dict) and error is None
        else None
    )
    if isinstance(response, str):
        response = maybe_json(response)
    b.add(
        "llm",
        str(attributes.get("model") or api or "llm call"),
        id=response.get("id") if isinstance(response, dict) and isinstance(response.get("id"), str) else None,
        parent_id=root_id,
        started_at=started,
        ended_at=started + took if started is not None and took is not None else None,
        input={"provider": provider, "api": api, "request": request},
        output=response if error is None else None,
        error=error,
        usage=usage,
        attributes=attributes,
        line=index + 1,
    )


def load(path: Path) -> Trace:
    b = ImportBuilder(path, "vcr")
    document = _load_document(path, b)
    interactions = _interactions(document, b)
    if not isinstance(interactions, list):
        if document is not None:
            b.problem("no `interactions` (or `requests`) list in the cassette", 1, "error", "interactions")
        return b.build()
    name = Path(path.stem).stem if path.suffix.lower() == ".gz" else path.stem  # run.yaml.gz -> run
    root = b.add("agent", name, attributes={"cassette_version": as_dict(document).get("version")})
    for index, interaction in enumerate(interactions):
        _interaction(b, index, interaction, root.id)
    times = [s.started_at for s in b.spans if s.started_at is not None]
    root.started_at = min(times, default=None)
    root.ended_at = max([s.ended_at or s.started_at or 0.0 for s in b.spans if s.started_at], default=None)
    return b.build(name=name, metadata={"interactions": len(interactions)})


register(
    Importer(
        "vcr",
        "VCR cassette (YAML/JSON, plain or gzipped: vcrpy, Ruby VCR, go-vcr) of OpenAI/Anthropic API calls; replayable",
        sniff,
        load,
    )
)
