"""What does AGENTDBG_EXPORT=otlp cost the agent per LLM call? Live collector and stopped collector.

Same method as ``capture_overhead.py`` (alternating pairs against a ``FakeLLMServer`` in its own
process, median of paired differences), with the OTLP push on: a wrapped call with the push
minus the plain unwrapped call next to it. "live": a collector in its own process answers 200;
"stopped": nothing listens on the collector's port (the exporter's retries run in the pusher's
thread, never in the agent's). The figure to hold under 0.5 ms is the added cost per call.

    python bench/export_overhead.py          # 400 pairs per case
    python bench/export_overhead.py --quick  # 100 pairs per case
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent / "src"))
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402
from capture_overhead import GOAL_MS, MESSAGES, _measure, _start_server  # noqa: E402

import agentdbg  # noqa: E402
from agentdbg.capture import otlp_push  # noqa: E402

COLLECTOR = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _collector() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-c", COLLECTOR], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}/v1/traces"


def _case(base_url: str, endpoint: str | None, pairs: int, tmp: Path, label: str) -> tuple[dict[str, float], Any]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    push = otlp_push.OtlpPush(OTLPSpanExporter(endpoint=endpoint)) if endpoint else None
    otlp_push.use_push(push)
    try:
        plain = openai.OpenAI(base_url=base_url + "/v1", api_key="bench")
        wrapped = agentdbg.wrap_openai(openai.OpenAI(base_url=base_url + "/v1", api_key="bench"))

        def call(client: Any) -> None:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

        with agentdbg.trace(f"export-{label}", path=tmp / f"{label}.jsonl"):
            figures = _measure(call, wrapped, plain, pairs)
    finally:
        otlp_push.use_push(None)
        if push is not None:
            push.close(wait=2.0 if label == "live" else 0.0)
    return figures, push


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Per-call overhead of capture with the OTLP push on (live and stopped collector) and without it."""
    pairs = 100 if quick else 400
    server, base_url = _start_server()
    collector, endpoint = _collector()
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            tmp = Path(folder)
            off, _ = _case(base_url, None, pairs, tmp, "off")
            for label, target in (("live", endpoint), ("stopped", f"http://127.0.0.1:{_free_port()}/v1/traces")):
                figures, push = _case(base_url, target, pairs, tmp, label)
                rows.append(
                    {
                        "name": f"capture + OTLP export overhead, {label} collector",
                        "value": round(figures["overhead_ms"], 3),
                        "unit": "ms/call",
                        "goal": f"< {GOAL_MS}",
                        "baseline": f"capture alone {off['overhead_ms']:.3f} ms; unwrapped call {figures['plain_ms']:.2f} ms;"
                        f" sent {push.sent}, dropped {push.dropped}",
                    }
                )
                rows.append(
                    {
                        "name": f"capture + OTLP export CPU overhead, {label} collector",
                        "value": round(figures["cpu_overhead_ms"], 3),
                        "unit": "ms/call",
                        "goal": f"< {GOAL_MS}",
                        "baseline": f"capture alone {off['cpu_overhead_ms']:.3f} ms (client process, incl. the pusher thread)",
                    }
                )
    finally:
        for process in (server, collector):
            process.terminate()
            process.wait(timeout=10)
    return rows


def main(argv: list[str]) -> None:
    rows = run(quick="--quick" in argv)
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        print(f"{row['name']:<{width}}  {row['value']:>8} {row['unit']:<8} {row['goal']:<6}  {row['baseline']}")


if __name__ == "__main__":
    main(sys.argv[1:])
