"""VCR cassettes (YAML or JSON; Python's vcrpy and Ruby's VCR) of OpenAI and Anthropic API calls as replayable llm steps.

Each recorded interaction holds the whole request body as sent, so it becomes an
llm step that replay can re-send. Bodies come from pydantic-ai's ``parsed_body``
or classic VCR ``body.string`` (plain, bytes, or gzip). Secret headers are never kept. The tool runs
between the calls are rebuilt by ``ImportBuilder.build`` (``model/derived_tools.py``), as for every importer.
"""

from __future__ import annotations

import gzip
import json
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


def sniff(head: bytes, path: Path) -> bool:
    text = sniff_json_head(head)
    if text.startswith(b"{"):
        return b'"interactions"' in text[:4096] and b'"request"' in text
    head = text[:4096]
    starts = text.startswith(b"interactions:") or b"\ninteractions:" in head
    ruby = b"\nhttp_interactions:" in head or text.startswith(b"http_interactions:")  # Ruby's VCR
    return (starts or ruby) and b"request:" in text


def _load_document(path: Path, b: ImportBuilder) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        b.problem(f"cannot read file: {exc.strerror or exc}", severity="error")
        return None
    try:
        return load_yaml(raw, path)  # a safe loader, aliases bounded; JSON is valid YAML
    except yaml.YAMLError as exc:
        b.problem(f"not valid YAML/JSON (truncated or corrupt cassette?): {str(exc)[:300]}", severity="error")
        return None


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
    uri = str(request_part.get("uri") or "")
    request = _body(request_part)
    response = _body(response_part) if response_part else None
    provider, api = _api_of(uri, request)
    known = api_key(provider, api) in ("openai.chat.completions", "openai.responses", "anthropic.messages")
    status = as_dict(response_part.get("status"))
    code = status.get("code") if isinstance(status, dict) else None
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
    interactions = (
        document.get("interactions", document.get("http_interactions"))
        if isinstance(document, dict)
        else None
    )
    if not isinstance(interactions, list):
        if document is not None:
            b.problem("no `interactions` list in the cassette", 1, "error", "interactions")
        return b.build()
    root = b.add("agent", path.stem, attributes={"cassette_version": document.get("version")})
    for index, interaction in enumerate(interactions):
        _interaction(b, index, interaction, root.id)
    times = [s.started_at for s in b.spans if s.started_at is not None]
    root.started_at = min(times, default=None)
    root.ended_at = max(times, default=None)
    return b.build(name=path.stem, metadata={"interactions": len(interactions)})


register(
    Importer(
        "vcr", "VCR cassette (YAML/JSON) of OpenAI/Anthropic API calls; steps are replayable", sniff, load
    )
)
