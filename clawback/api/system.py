"""Read-only views of the installation: mail stores and the audit log."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.schemas import AuditEventOut, StoreOut
from clawback.audit.models import AuditEvent
from clawback.web.stores import store_summaries

router = Router(tags=["system"])


@router.get("/stores", response=list[StoreOut], auth=requires(Role.VIEW), summary="Mail stores")
def stores(request: HttpRequest) -> list[StoreOut]:
    """Configured stores with their mailbox count and last sync status (no parameters or
    secrets)."""
    return [
        StoreOut(
            id=s.id,
            name=s.name,
            kind=s.kind,
            mailboxes=s.mailboxes,
            last_sync_status=s.last_sync_status,
            last_synced_at=s.last_synced_at,
            failed_mailboxes=s.failed_mailboxes,
        )
        for s in store_summaries()
    ]


@router.get(
    "/audit",
    response=list[AuditEventOut],
    auth=requires(Role.MANAGE_SETTINGS),
    summary="The newest audit events",
)
def audit(
    request: HttpRequest,
    limit: int = Query(100, ge=1, le=1000),  # type: ignore[type-arg]
) -> list[AuditEventOut]:
    """Newest first."""
    events = AuditEvent.objects.order_by("-id")[:limit]
    return [
        AuditEventOut(
            id=e.pk,
            at=e.at,
            actor=e.actor_name,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            request_id=e.request_id,
            data=e.data,
        )
        for e in events
    ]
