"""Two ``clawback worker`` processes on PostgreSQL share one remediation; every item is done
exactly once.  (SQLite serialises writers, so this is a PostgreSQL test; CI runs the suite on
both databases.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count

from clawback.mail.models import TimelineEvent
from clawback.mail.sync import sync_mailbox
from clawback.mailstores.actions import do_add_store
from clawback.remediation.actions import do_submit
from clawback.remediation.models import ItemState, Status
from clawback.remediation.selection import Selection
from clawback.remediation.tests.helpers import make_maildir, message, read_maildir

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs PostgreSQL (DATABASE_URL); CI runs the suite on PostgreSQL too",
    ),
]
MAILBOXES, PER_BOX = 40, 100


def test_two_workers_do_every_item_exactly_once(tmp_path: Path, erin: Any) -> None:
    root = tmp_path / "maildir"
    boxes = [f"w{n:02d}@example.test" for n in range(MAILBOXES)]
    make_maildir(root, boxes)
    for n, box in enumerate(boxes):
        for i in range(PER_BOX):
            (root / box / "new" / f"1700000000.W{n}_{i}.test").write_bytes(
                message(f"w-{n}-{i}@evil.example", "it@evil.example", box)
            )
    store = do_add_store("shared", "maildir", params={"path": str(root)}, acting_user="test")
    for mailbox in store.mailboxes.all():
        assert not sync_mailbox(mailbox.pk).error
    remediation = do_submit(
        acting_user=erin,
        name="shared",
        action="move-to-deleted",
        selection=Selection.of_query("sender.domain = evil.example"),
    )
    assert remediation.item_count == MAILBOXES * PER_BOX

    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CLAWBACK_HOME": str(tmp_path),
        "CLAWBACK_REMEDIATION_BATCH": "10",
    }
    clawback = str(Path(sys.executable).with_name("clawback"))
    workers = [
        subprocess.Popen([clawback, "worker", "--burst"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    logs = [w.communicate(timeout=120)[0].decode() for w in workers]
    assert all(w.returncode == 0 for w in workers), logs

    remediation.refresh_from_db()
    assert remediation.status == Status.COMPLETED, remediation.counts
    items = remediation.items.all()
    assert set(items.values_list("state", flat=True)) == {ItemState.SUCCEEDED}
    assert set(items.values_list("attempts", flat=True)) == {1}  # claimed once each
    # Both workers took part (lease owner = host:pid:run).
    pids = Counter(owner.split(":")[1] for owner in items.values_list("lease_owner", flat=True))
    assert len(pids) == 2, pids
    events = (
        TimelineEvent.objects.filter(kind=TimelineEvent.Kind.REMEDIATION)
        .values("copy")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert len(events) == MAILBOXES * PER_BOX and set(events) == {1}
    state = read_maildir(root)
    assert all(set(folders) == {"Trash"} and len(folders["Trash"]) == PER_BOX for folders in state.values())


def _test_database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
