"""State changes of alerts and investigations."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from clawback.audit.log import record
from clawback.investigations.models import Alert, AlertSeverity, Investigation, InvestigationStatus
from clawback.remediation.actions import do_link_investigation
from clawback.remediation.models import Remediation, Source, Status

ADMIN_ACTION_TITLE = "Administrative action submitted"
# Remediations decided by automation raise their own alerts (ZAP, AIR), not this one.
_AUTOMATED = (Source.ZAP, Source.AUTOMATION)

_STATUS = {
    Status.PENDING_APPROVAL: InvestigationStatus.PENDING_ACTION,
    Status.QUEUED: InvestigationStatus.RUNNING,
    Status.IN_PROGRESS: InvestigationStatus.RUNNING,
    Status.COMPLETED: InvestigationStatus.REMEDIATED,
    Status.COMPLETED_WITH_ERRORS: InvestigationStatus.PARTIALLY_REMEDIATED,
    Status.FAILED: InvestigationStatus.FAILED,
    Status.REJECTED: InvestigationStatus.TERMINATED,
    Status.EXPIRED: InvestigationStatus.TERMINATED,
    Status.DUPLICATE: InvestigationStatus.TERMINATED,
}
SAMPLE = 20


def entities(remediation: Remediation) -> dict[str, object]:
    """The entities an admin-action investigation records: mailboxes, senders, messages."""
    items = remediation.items.order_by()
    mailboxes = items.values("mailbox_address").annotate(n=Count("id")).order_by("-n")
    senders = items.filter(copy__isnull=False).values("copy__from_address").annotate(n=Count("id")).order_by("-n")
    return {
        "messages": items.values("message_id").distinct().count(),
        "mailboxes": items.values("mailbox_address").distinct().count(),
        "top_mailboxes": [m["mailbox_address"] for m in mailboxes[:SAMPLE]],
        "top_senders": [s["copy__from_address"] for s in senders[:SAMPLE]],
        "query": remediation.query,
    }


def do_open_admin_action(remediation_id: int) -> Investigation | None:
    """Raise the "Administrative action submitted" alert and its admin-action investigation
    for a manual remediation, and link the remediation to it (SPEC §4)."""
    with transaction.atomic():
        remediation = Remediation.objects.select_for_update().get(pk=remediation_id)
        if remediation.source in _AUTOMATED or remediation.investigation_id:
            return None
        investigation = Investigation.objects.create(
            kind=Investigation.Kind.ADMIN_ACTION,
            title=f"Admin action: {remediation.get_action_display()} \u2014 {remediation.name}",
            status=_STATUS.get(Status(remediation.status), InvestigationStatus.RUNNING),
            remediation=remediation,
            action=remediation.action,
            entities=entities(remediation),
            message_count=remediation.item_count,
            submitted_by_name=remediation.submitted_by_name,
            approver_name=remediation.decided_by_name,
        )
        alert = Alert.objects.create(
            title=ADMIN_ACTION_TITLE,
            severity=AlertSeverity.INFORMATIONAL,
            category="admin_action",
            remediation=remediation,
            investigation=investigation,
            detail={
                "remediation": remediation.name,
                "approval_id": remediation.approval_id,
                "action": remediation.action,
                "submitted_by": remediation.submitted_by_name,
                "count": remediation.item_count,
            },
        )
        do_link_investigation(remediation.pk, investigation.display_id)
        record(
            "investigation.open",
            actor=None,
            obj=investigation,
            data={"remediation": remediation.pk, "alert": alert.pk, "investigation_id": investigation.display_id},
        )
    return investigation


def do_update_admin_action(remediation_id: int) -> None:
    """Keep the admin-action investigation's status, count and approver in step."""
    with transaction.atomic():
        remediation = Remediation.objects.get(pk=remediation_id)
        for investigation in Investigation.objects.select_for_update().filter(
            remediation=remediation, kind=Investigation.Kind.ADMIN_ACTION
        ):
            status = _STATUS.get(Status(remediation.status), investigation.status)
            investigation.status = status
            investigation.approver_name = remediation.decided_by_name
            investigation.message_count = remediation.item_count
            investigation.updated_at = timezone.now()
            investigation.save(update_fields=["status", "approver_name", "message_count", "updated_at"])
            record("investigation.update", actor=None, obj=investigation, data={"status": status})
