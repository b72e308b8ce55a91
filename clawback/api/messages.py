"""Hunting through the index: the query language (SPEC §3) and the email entity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from clawback.accounts.access import has_role
from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.schemas import MessageDetail, QueryErrorOut, SearchOut
from clawback.audit.log import record
from clawback.explorer.query import QueryError, search
from clawback.mail.models import MessageCopy

router = Router(tags=["messages"])
MAX_LIMIT = 1000

_SUMMARY = (
    "received_at",
    "message_id",
    "from_address",
    "from_name",
    "from_domain",
    "recipient",
    "subject",
    "direction",
    "location",
    "folder",
    "delivery_action",
    "size",
)
_DETAIL = (
    "mail_from",
    "mail_from_domain",
    "sender_ip",
    "reply_to",
    "recipient_domain",
    "date_header",
    "language",
    "url_count",
    "attachment_count",
    "spf",
    "dkim",
    "dmarc",
    "composite_auth",
    "spam_score",
    "original_location",
    "original_folder",
    "flags",
    "fingerprint",
    "cluster_id",
    "campaign_id",
    "has_parse_problems",
    "parse_problems",
)


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def summary(copy: MessageCopy) -> dict[str, Any]:
    data = {name: getattr(copy, name) for name in _SUMMARY}
    data.update(
        id=copy.pk,
        threats=copy.threat_list,
        detections=copy.detection_list,
        store=copy.store.name,
    )
    return data


def detail(copy: MessageCopy) -> dict[str, Any]:
    data = summary(copy) | {name: getattr(copy, name) for name in _DETAIL}
    data.update(
        mailbox=copy.mailbox.address,
        to=_split(copy.to_addresses),
        cc=_split(copy.cc_addresses),
        delivered_to=_split(copy.delivered_to),
        urls=list(copy.urls.all()),
        attachments=list(copy.attachments.all()),
        timeline=list(copy.timeline.all()),
        headers=None,
    )
    return data


@router.get(
    "/search",
    response={200: SearchOut, 400: QueryErrorOut},
    auth=requires(Role.VIEW),
    summary="Search delivered mail with the query language",
)
def search_messages(
    request: HttpRequest,
    q: str = "",
    limit: int = Query(50, ge=1, le=MAX_LIMIT),  # type: ignore[type-arg]
    offset: int = Query(0, ge=0),  # type: ignore[type-arg]
) -> Status[dict[str, Any]]:
    """Newest first.  An empty ``q`` matches every indexed copy.  A query that does not parse
    is answered with 400 and the offending token's position (1-based line and column)."""
    try:
        found = search(q, allow_headers=has_role(request.user, Role.PREVIEW))
    except QueryError as exc:
        return Status(400, {"error": exc.message, "token": exc.token, "line": exc.line, "column": exc.column})
    found = found.select_related("store").order_by("-received_at", "-pk")
    items = [summary(copy) for copy in found[offset : offset + limit]]
    return Status(200, {"total": found.count(), "limit": limit, "offset": offset, "items": items})


@router.get(
    "/messages/{message_id}",
    response=MessageDetail,
    auth=requires(Role.VIEW),
    summary="One delivered copy with URLs, attachments and timeline",
)
def message_detail(request: HttpRequest, message_id: int, headers: bool = True) -> dict[str, Any]:
    """``headers`` is filled only for holders of the Preview role (and ``headers=true``, the
    default); every such read is written to the audit log as mail-content access."""
    copy = get_object_or_404(
        MessageCopy.objects.select_related("store", "mailbox").prefetch_related("urls", "attachments", "timeline"),
        pk=message_id,
    )
    data = detail(copy)
    if headers and has_role(request.user, Role.PREVIEW):
        record(
            "message.headers.view",
            actor=request.user,
            obj=copy,
            data={"message_id": copy.message_id, "recipient": copy.recipient},
        )
        data["headers"] = copy.headers
    return data
