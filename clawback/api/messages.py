"""Hunting through the index: the query language (SPEC §3) and the email entity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status

from clawback.accounts.access import has_role
from clawback.accounts.roles import Role
from clawback.api.auth import requires
from clawback.api.schemas import ErrorOut, MessageDetail, QueryErrorOut, SearchOut, TimelineOut
from clawback.audit.log import record
from clawback.explorer.query import QueryError, search
from clawback.mail.content import Content, ContentUnavailable, eml_response, read_content
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


class MessageDetailOut(MessageDetail):
    # Other copies with the same body fingerprint, and with the same Message-ID (the same
    # message delivered to other recipients, or present in other folders).
    similar_count: int
    same_message_count: int


def _other_copies(copy: MessageCopy, **match: str) -> int:
    if not all(match.values()):
        return 0
    return MessageCopy.objects.filter(**match).exclude(pk=copy.pk).count()


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
        similar_count=_other_copies(copy, fingerprint=copy.fingerprint),
        same_message_count=_other_copies(copy, message_id=copy.message_id),
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
    response=MessageDetailOut,
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


@router.get(
    "/messages/{message_id}/timeline",
    response=list[TimelineOut],
    auth=requires(Role.VIEW),
    summary="Post-delivery events of one delivered copy, oldest first",
)
def message_timeline(request: HttpRequest, message_id: int) -> list[Any]:
    copy = get_object_or_404(MessageCopy, pk=message_id)
    return list(copy.timeline.all())


@router.get(
    "/messages/{message_id}/eml",
    response={502: ErrorOut},
    auth=requires(Role.PREVIEW),
    summary="The raw message (.eml) as its mail store holds it",
    openapi_extra={
        "responses": {
            200: {
                "description": "The message, as an attachment",
                "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def message_eml(request: HttpRequest, message_id: int) -> HttpResponse | Status[dict[str, str]]:
    """Read from the store (not the index) and written to the audit log as mail-content access.
    502 when the store cannot be read or no longer holds the message."""
    copy = get_object_or_404(MessageCopy.objects.select_related("store", "mailbox"), pk=message_id)
    try:
        raw = read_content(copy, Content.EML, acting_user=request.user)
    except ContentUnavailable as exc:
        return Status(502, {"detail": exc.message})
    return eml_response(copy, raw)
