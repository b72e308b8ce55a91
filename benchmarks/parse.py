"""Parser benchmark: ``parse_message`` alone, single process, in ms per message.

Data sets (each timed as the best of R rounds, so a noisy neighbour does not count):

  demo         N messages of Clawback's generated demo mail (8 mailboxes, fixed seed and time);
  corpus       every ``*.eml`` of the shared corpus (real mail, many of them odd), if present;
  corpus<10KB  the corpus messages smaller than 10 KB (typical mail without big attachments).

Indexing must reach 2,000 messages/s on 2 cores with parsing in 2 processes while Dovecot and
the database share those cores, which leaves roughly 0.5 ms of parsing per message.

  .venv/bin/python benchmarks/parse.py [-n 4000] [-r 3] [--corpus DIR] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clawback.demo.generator import generate  # noqa: E402
from clawback.demo.people import mailboxes  # noqa: E402
from clawback.mail.parsing import parse_message  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
ORG_DOMAINS = ("example.test",)
# A fixed clock: the generator's only input that otherwise changes between runs.
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def demo_messages(count: int) -> list[bytes]:
    per_mailbox = -(-count // 8)
    return [m.raw for m in generate(mailboxes(8), per_mailbox, seed=1, now=NOW)][:count]


def corpus_messages(root: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(root.rglob("*.eml"))] if root.is_dir() else []


def time_parse(raws: Sequence[bytes], rounds: int) -> float:
    """Best of ``rounds`` passes, in ms per message (GC off while timing, as in ``timeit``)."""
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            for raw in raws:
                parse_message(raw, org_domains=ORG_DOMAINS)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best * 1000 / len(raws)


def profile(raws: Sequence[bytes], limit: int = 40) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for raw in raws:
        parse_message(raw, org_domains=ORG_DOMAINS)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--messages", type=int, default=4000, help="demo messages (default 4000)")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="timed passes per data set (default 3)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory of .eml files")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the demo pass instead")
    args = parser.parse_args()

    print(machine())
    demo = demo_messages(args.messages)
    sizes = sorted(len(r) for r in demo)
    print(f"demo: {len(demo)} messages, median {statistics.median(sizes) / 1024:.1f} KB")
    if args.profile:
        profile(demo)
        return
    for raw in demo[:200]:  # warm caches and imports (the indexer is a long-running process)
        parse_message(raw, org_domains=ORG_DOMAINS)
    sets = {"demo": demo}
    corpus = corpus_messages(args.corpus)
    if corpus:
        sets["corpus"] = corpus
        sets["corpus<10KB"] = [r for r in corpus if len(r) < 10 * 1024]
    else:
        print(f"(no corpus at {args.corpus})")
    for name, raws in sets.items():
        ms = time_parse(raws, args.rounds)
        print(f"{name:12} {len(raws):5} msgs  {ms:7.3f} ms/msg  {1000 / ms:8.0f} msgs/s (1 process)")


if __name__ == "__main__":
    main()
