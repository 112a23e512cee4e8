"""Whole-process ``agentdbg export -f html|otlp-json`` on the bench files, against a bare orjson pass.

The figures issue 15 sets its export goals on: each export runs in a fresh child (``python -m
agentdbg export FILE -f FORMAT -o OUT``), timed by its own CPU (user + system, ``wait4``) with its
peak RSS, next to a child doing ``for line in open(f, 'rb'): orjson.loads(line)`` over the same
file (``commands_bench.measure``). Also printed: the output's size, CPU seconds per GB written
(the figure for OTLP, whose output is ~13x its input by design: every chat span carries its whole
``gen_ai.input.messages``) and, with ``--hash``, the output's SHA-256 (to check byte-identity on
files too big to keep).

    python bench/export_cli.py [--sizes 10k,100k,1g] [--formats html,otlp-json] [--hash] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commands_bench import ORJSON, measure  # noqa: E402

DATA = Path(os.environ.get("AGENTDBG_BENCH_DIR", "/work/bench-data"))
FILES = {
    "small": "suite_small.jsonl",
    "10k": "reader_10k.jsonl",
    "100k": "reader_100k.jsonl",
    "1g": "reader_1g.jsonl",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k,1g")
    parser.add_argument("--formats", default="html,otlp-json")
    parser.add_argument("--hash", action="store_true", help="print the SHA-256 of each output")
    parser.add_argument("--keep", help="write outputs into this directory (kept) instead of a temporary one")
    args = parser.parse_args()
    print(f"{'file':>5} {'format':>9} {'CPU s':>7} {'orjson s':>8} {'ratio':>6} {'RSS MB':>7} {'budget':>6} "
          f"{'out MB':>8} {'s/GB out':>8}  sha256")  # fmt: skip
    with tempfile.TemporaryDirectory(dir=args.keep) as scratch:
        out_dir = Path(args.keep) if args.keep else Path(scratch)
        for size in args.sizes.split(","):
            path = DATA / FILES[size]
            if not path.exists():
                print(f"{size:>5}: {path} missing")
                continue
            size_mb = path.stat().st_size / 1e6
            base = measure([sys.executable, "-c", ORJSON, str(path)])
            for format in args.formats.split(","):
                out = out_dir / f"{size}.{format}"
                got = measure([sys.executable, "-m", "agentdbg", "export", str(path), "-f", format, "-o", str(out)])
                written = out.stat().st_size if out.exists() else 0
                digest = _sha256(out) if args.hash and written else ""
                if not args.keep:
                    out.unlink(missing_ok=True)
                print(
                    f"{size:>5} {format:>9} {got['cpu']:>7.2f} {base['cpu']:>8.2f} {got['cpu'] / base['cpu']:>5.1f}x "
                    f"{got['rss']:>7.0f} {size_mb / 4 + 80:>6.0f} {written / 1e6:>8.1f} "
                    f"{got['cpu'] / (written / 1e9) if written else 0:>8.2f}  {digest}"
                    + (f" (exit {got['rc']})" if got["rc"] else ""),
                    flush=True,
                )


if __name__ == "__main__":
    main()
