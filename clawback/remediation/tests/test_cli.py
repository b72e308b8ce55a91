"""``clawback remediate|approve|reject|undo|remediation``, in-process against the test database."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clawback.cli import main
from clawback.remediation.models import Remediation, Status
from clawback.remediation.tests.conftest import ANN, EVIL_QUERY, World
from clawback.remediation.tests.helpers import drain, read_maildir, where

pytestmark = pytest.mark.django_db(transaction=True)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_propose_approve_show_undo(world: World, carol: Any, erin: Any, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--name", "wave", "--action", "move-to-junk", "--query", EVIL_QUERY, "--propose"]
    status, out, err = cli(capsys, "remediate", "--user", "carol", *args)
    assert status == 0
    pk = int(out.strip())
    assert "pending approval" in err and "not remediable (1)" in err

    status, _, err = cli(capsys, "approve", str(pk), "--user", "carol")
    assert status == 2 and "another person with the Search and Purge role" in err

    approval_id = Remediation.objects.get(pk=pk).approval_id
    assert cli(capsys, "approve", approval_id, "--user", "erin")[0] == 0
    drain()
    assert where(read_maildir(world.root), ANN, "evil-2@evil.example") == ["Junk"]

    status, out, _ = cli(capsys, "remediation", "show", str(pk), "--format", "json")
    data = json.loads(out)
    assert data["status"] == "completed_with_errors"
    assert data["counts"]["succeeded"] == 4 and data["counts"]["not_remediable"] == 1
    assert data["decided_by"] == "erin" and data["submitted_by"] == "carol"

    status, out, _ = cli(capsys, "remediation", "list", "--status", "completed_with_errors")
    assert "wave" in out
    status, out, _ = cli(capsys, "remediation", "log", str(pk))
    assert out.count("\n") == 6 and "evil-2@evil.example" in out

    status, out, _ = cli(capsys, "undo", str(pk), "--user", "erin", "--name", "wave-undo")
    assert status == 0
    drain()
    assert Remediation.objects.get(pk=int(out.strip())).status == Status.COMPLETED
    assert where(read_maildir(world.root), ANN, "evil-2@evil.example") == ["INBOX"]


def test_reject_and_refusals(world: World, bob: Any, dave: Any, erin: Any, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(
        capsys, "remediate", "--user", "bob", "--name", "x", "--action", "move-to-junk", "--query", EVIL_QUERY
    )
    assert status == 2 and "bob lacks the Propose role" in err
    status, _, err = cli(
        capsys, "remediate", "--user", "erin", "--name", "x", "--action", "soft-delete", "--ids", "1,x"
    )
    assert status == 2 and "comma-separated copy ids" in err
    status, _, err = cli(
        capsys, "remediate", "--user", "erin", "--name", "x", "--action", "soft-delete", "--query", "sender.domian = a"
    )
    assert status == 2 and "sender.domian" in err

    ids = ",".join(str(i) for i in world.ids((ANN, "evil-1@evil.example")))
    status, out, err = cli(
        capsys, "remediate", "--user", "dave", "--name", "hd", "--action", "hard-delete", "--ids", ids, "--propose"
    )
    assert status == 0 and "cannot be undone" in err
    pk = out.strip()
    assert cli(capsys, "reject", pk, "--user", "erin", "--reason", "too strong")[0] == 0
    assert Remediation.objects.get(pk=int(pk)).status == Status.REJECTED
    status, _, err = cli(capsys, "approve", pk, "--user", "erin")
    assert status == 2 and "rejected, not pending approval" in err
