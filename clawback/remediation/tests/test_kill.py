"""The kill test (issue 3): a 20,000-message remediation over 100 mailboxes, its worker
process SIGKILLed at random moments and restarted; the final state must be exactly right.

Everything runs through the command line against a throw-away installation, the way an
operator would: ``clawback sync``, ``clawback remediate``, ``clawback worker``.  The mailboxes
are then read from disk and compared as sets of Message-IDs per folder per mailbox.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from clawback.remediation.tests.helpers import make_maildir, message, read_maildir
from clawback.remediation.tests.site import Site, scratch_database

MAILBOXES = 100
EVIL_PER_BOX = 200
GOOD_PER_BOX = 20
KILLS = 5


def deliver(root: Path) -> dict[str, tuple[set[str], set[str]]]:
    """Each mailbox gets a phishing wave and some partner mail, all in INBOX."""
    boxes = [f"user{n:03d}@example.test" for n in range(MAILBOXES)]
    make_maildir(root, boxes)
    expected = {}
    for n, box in enumerate(boxes):
        evil = {f"wave-{n}-{i}@evil.example" for i in range(EVIL_PER_BOX)}
        good = {f"note-{n}-{i}@good.example" for i in range(GOOD_PER_BOX)}
        for i, mid in enumerate(sorted(evil | good)):
            sender = "it@evil.example" if mid.endswith("evil.example") else "x@good.example"
            (root / box / "new" / f"1700000000.K{n}_{i}.test").write_bytes(message(mid, sender, box))
        expected[box] = (good, evil)
    return expected


def test_worker_killed_at_random_points(tmp_path: Path) -> None:
    rng = random.Random()  # a fresh sequence each run: each run tries other moments
    root = tmp_path / "maildir"
    expected = deliver(root)
    with scratch_database(tmp_path) as url:
        site = Site(
            tmp_path,
            url,
            # Small batches: more claims and commits, so kills land in every step of the protocol.
            CLAWBACK_REMEDIATION_BATCH=50,
            CLAWBACK_REMEDIATION_LEASE_SECONDS=2,
            CLAWBACK_REMEDIATION_TICK_SECONDS=1,
            CLAWBACK_REMEDIATION_MAX_ATTEMPTS=1000,
        )
        try:
            _run(site, root, rng, expected)
        finally:
            site.stop_workers()


def _run(site: Site, root: Path, rng: random.Random, expected: dict[str, tuple[set[str], set[str]]]) -> None:
    site.run("manage", "migrate", "-v0")
    site.run("store", "add", "kill", "--kind", "maildir", "--path", str(root))
    site.run("sync", "kill", "--processes", "2")
    site.run("user", "add", "alice", "--group", "Global Administrator")
    out = site.run(
        "remediate",
        "--user",
        "alice",
        "--name",
        "wave",
        "--action",
        "move-to-junk",
        "--query",
        "sender.domain = evil.example",
    )
    remediation_id = int(out.strip())

    progress = []
    for _ in range(KILLS):
        worker = site.start_worker()
        time.sleep(rng.uniform(1.5, 3.5))  # 1-2 s of it is the worker starting up
        site.kill(worker)
        progress.append(site.show(remediation_id)["done"])
    site.start_worker()
    data = site.wait_finished(remediation_id, timeout=90)
    site.stop_workers()

    # The kills did land mid-run (not all before the start or after the end).
    assert any(0 < done < MAILBOXES * EVIL_PER_BOX for done in progress), progress
    assert data["status"] == "completed", data
    assert data["counts"]["succeeded"] == MAILBOXES * EVIL_PER_BOX, data["counts"]

    # The store, read from disk: exactly the wave in Junk, exactly the rest in INBOX.
    state = read_maildir(root)
    for box, (good, evil) in expected.items():
        folders = {folder: set(ids) for folder, ids in state[box].items()}
        assert folders == {"INBOX": good, "Junk": evil}, box

    # Nothing moved twice: one remediation event per copy, and the index matches the store.
    events = site.shell(
        "import json; from django.db.models import Count; from clawback.mail.models import TimelineEvent as T; "
        "rows = T.objects.filter(kind='remediation').values('copy').annotate(n=Count('id')); "
        "print(json.dumps([rows.count(), max(r['n'] for r in rows)]))"
    )
    assert events == [MAILBOXES * EVIL_PER_BOX, 1]
    summary = site.run("sync", "kill", "--processes", "1", stderr=True)
    assert "0 new, 0 moved, 0 deleted" in summary, summary
