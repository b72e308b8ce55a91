"""``python -m clawback.demo``: generate demo mail into a Maildir++ tree (or just time it).

python -m clawback.demo --mailboxes 50 --per-mailbox 200 --maildir var/demo-mail
python -m clawback.demo --mailboxes 200 --per-mailbox 500      # no --maildir: speed only
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from clawback.demo.deliver import deliver_maildir
from clawback.demo.generator import DemoMessage, generate, mailboxes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clawback.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=20)
    parser.add_argument("--per-mailbox", type=int, default=100)
    parser.add_argument("--domain", default="example.test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--now", type=datetime.fromisoformat, help="ISO time with offset; default: now")
    parser.add_argument("--maildir", type=Path, help="root of the Maildir++ tree to write")
    args = parser.parse_args(argv)
    now = args.now or datetime.now(UTC)
    boxes = mailboxes(args.mailboxes, domain=args.domain)
    kinds: Counter[str] = Counter()

    def counted(messages: Iterator[DemoMessage]) -> Iterator[DemoMessage]:
        for message in messages:
            kinds[message.kind] += 1
            yield message

    stream = counted(generate(boxes, args.per_mailbox, seed=args.seed, org_domain=args.domain, now=now, days=args.days))
    start = time.perf_counter()
    total = deliver_maildir(args.maildir, stream) if args.maildir else sum(1 for _ in stream)
    elapsed = time.perf_counter() - start
    mix = ", ".join(f"{kind} {n / max(total, 1):.1%}" for kind, n in kinds.most_common())
    print(f"{total} messages in {elapsed:.2f}s ({total / max(elapsed, 1e-9):,.0f}/s): {mix}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
