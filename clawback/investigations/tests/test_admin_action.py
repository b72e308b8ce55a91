"""Every manual remediation raises the "Administrative action submitted" alert and an
admin-action investigation that follows it (SPEC §4); automated ones do not."""

from __future__ import annotations

from typing import Any

import pytest

from clawback.audit.models import AuditEvent
from clawback.investigations.actions import ADMIN_ACTION_TITLE, do_open_admin_action, do_update_admin_action
from clawback.investigations.models import Alert, Investigation
from clawback.remediation.models import AUTOMATION, Remediation, Source, Status

pytestmark = pytest.mark.django_db


def remediation(**fields: Any) -> Remediation:
    defaults = {
        "name": "wave",
        "approval_id": "RA-TEST01",
        "action": "soft-delete",
        "selection_kind": "query",
        "query": "sender.domain = evil.example",
        "source": Source.CLI,
        "submitted_by_name": "dave",
        "status": Status.PENDING_APPROVAL,
        "item_count": 3,
    }
    return Remediation.objects.create(**{**defaults, **fields})


def test_alert_and_investigation_are_opened_and_linked() -> None:
    r = remediation()
    investigation = do_open_admin_action(r.pk)
    assert investigation is not None
    assert (investigation.status, investigation.action, investigation.message_count) == (
        "pending_action",
        "soft-delete",
        3,
    )
    assert investigation.entities["query"] == r.query
    alert = Alert.objects.get()
    assert (alert.title, alert.severity, alert.investigation) == (ADMIN_ACTION_TITLE, "informational", investigation)
    r.refresh_from_db()
    assert r.investigation_id == investigation.display_id
    assert AuditEvent.objects.filter(action="investigation.open").exists()
    # A second signal for the same remediation does not open a second investigation.
    assert do_open_admin_action(r.pk) is None


def test_investigation_follows_the_remediation() -> None:
    r = remediation()
    do_open_admin_action(r.pk)
    Remediation.objects.filter(pk=r.pk).update(status=Status.COMPLETED, decided_by_name="erin")
    do_update_admin_action(r.pk)
    investigation = Investigation.objects.get()
    assert (investigation.status, investigation.approver_name) == ("remediated", "erin")


def test_automated_remediations_raise_no_admin_alert() -> None:
    r = remediation(source=Source.ZAP, decided_by_name=AUTOMATION)
    assert do_open_admin_action(r.pk) is None
    assert not Alert.objects.exists()
