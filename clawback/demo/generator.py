"""Clawback's realistic demo mail: one call, a seed, and a stream of delivered copies.

``generate()`` walks the mailboxes one at a time and yields each mailbox's messages in delivery
order, so a million-message corpus never sits in memory.  The mix per mailbox (and so overall)
is about 8% phish, 2% malware, 15% spam, 20% newsletters, 45% partner mail and 10% internal
mail; phishing and malware arrive in waves that hit many mailboxes within a few hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

from clawback.demo.bulk import Newsletters, newsletter, spam
from clawback.demo.business import Documents, business
from clawback.demo.compose import Composer, Recipient
from clawback.demo.headers import DEFAULT_EXTERNAL_IPS
from clawback.demo.internal import InternalPlan, received_copy, sent_copy
from clawback.demo.message import DemoMessage
from clawback.demo.people import mailboxes
from clawback.demo.threats import Threats, malware, phish

__all__ = ["DEFAULT_EXTERNAL_IPS", "MIX", "DemoMessage", "generate", "mailboxes"]

# Target composition.  Internal mail is laid out by InternalPlan (it pairs senders and
# recipients); the other kinds share the remaining slots in these proportions.
MIX = {"phish": 0.08, "malware": 0.02, "spam": 0.15, "newsletter": 0.20, "business": 0.45, "internal": 0.10}
_EXTERNAL = tuple((kind, share) for kind, share in MIX.items() if kind != "internal")


def generate(
    mailboxes: Sequence[str],
    per_mailbox: int,
    *,
    seed: int = 1,
    org_domain: str = "example.test",
    now: datetime | None = None,
    days: int = 7,
    external_ips: Sequence[str] = DEFAULT_EXTERNAL_IPS,
) -> Iterator[DemoMessage]:
    """``per_mailbox`` messages for each mailbox, received within ``days`` before ``now``.

    The same arguments give the same bytes: everything random comes from ``seed``.  ``now``
    defaults to the current time, which is the one input that changes between runs; pass it
    for a reproducible corpus.  ``external_ips`` are the public addresses senders get (one per
    sending domain); the default uses the RFC 5737 documentation ranges.
    """
    if per_mailbox < 0 or days < 1:
        raise ValueError("per_mailbox must be >= 0 and days >= 1")
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    c = Composer(mailboxes, seed=seed, org_domain=org_domain, now=now, days=days, external_ips=external_ips)
    return _stream(c, per_mailbox)


def _stream(c: Composer, per_mailbox: int) -> Iterator[DemoMessage]:
    threats, letters, docs = Threats(c), Newsletters(c), Documents(c)
    plan = InternalPlan(c, per_mailbox)
    makers: dict[str, Callable[[Recipient], DemoMessage]] = {
        "phish": lambda box: phish(c, threats, box),
        "malware": lambda box: malware(c, threats, box),
        "spam": lambda box: spam(c, box),
        "newsletter": lambda box: newsletter(c, letters, box),
        "business": lambda box: business(c, docs, box),
    }
    for index, mailbox in enumerate(c.mailboxes):
        rcpt = c.recipient(mailbox)
        batch = [sent_copy(c, plan.memo(index, s)) for s in range(len(plan.fanout))]
        batch += [received_copy(c, plan.memo(sender, s), rcpt) for sender, s in plan.received_by(index)]
        batch += [makers[kind](rcpt) for kind in slots(c.rng, per_mailbox - plan.per_mailbox)]
        batch.sort(key=lambda m: (m.received_at, m.message_id))
        yield from batch


def slots(rng: random.Random, count: int) -> list[str]:
    """``count`` kinds in the ``_EXTERNAL`` proportions, each within one of its exact share.

    Systematic sampling (one random offset, evenly spaced points on the cumulative shares)
    keeps a 50-message mailbox as close to the mix as a 5,000-message one, and the random
    offset keeps the overall share exact on average.
    """
    total = sum(share for _, share in _EXTERNAL)
    bounds, acc = [], 0.0
    for kind, share in _EXTERNAL:
        acc += share / total
        bounds.append((acc, kind))
    offset = rng.random()
    out, j = [], 0
    for i in range(count):
        point = (i + offset) / count
        while j < len(bounds) - 1 and point > bounds[j][0]:
            j += 1
        out.append(bounds[j][1])
    rng.shuffle(out)
    return out
