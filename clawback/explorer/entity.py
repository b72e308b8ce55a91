"""The email entity page (SPEC §3): one delivered copy, everything the index knows about it, and
for holders of the Preview role its headers, a sanitised preview and the ``.eml``.

The overview is read from the index only, so it works when the store is down.  The Headers and
Preview tabs and the download read the message from its store (:mod:`clawback.mail.content`);
each read is audited there.  The preview is its own document under a CSP of its own, shown in
a sandboxed frame: see :mod:`clawback.mail.preview` for the layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from clawback.accounts.access import has_role, require_role
from clawback.accounts.roles import Role
from clawback.explorer.query.nodes import Comparison, to_text
from clawback.mail.content import Content, ContentUnavailable, eml_response, header_block, read_content
from clawback.mail.models import CopyAttachment, CopyUrl, MessageCopy
from clawback.mail.preview import render_preview

# The preview document may show inline styles and data: images and nothing else; only this
# site may frame it.  The global middleware leaves a response's own policy alone.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
SIMILAR_SHOWN = 20


@dataclass(frozen=True)
class Row:
    """A URL or attachment of the copy, with the Explorer query for every copy that has it."""

    item: CopyUrl | CopyAttachment
    pivot: str


def explorer_query(field: str, value: str) -> str:
    """The Explorer URL searching ``field = value`` (pivots from the entity to the hunt)."""
    return reverse("explorer") + "?" + urlencode({"q": to_text(Comparison.of(field, "=", [value]))})


def _copy(message_id: int) -> MessageCopy:
    return get_object_or_404(MessageCopy.objects.select_related("store", "mailbox"), pk=message_id)


def _others(copy: MessageCopy, **match: str) -> tuple[int, list[MessageCopy]]:
    """Other copies matching ``match`` (an empty value matches nothing): count, newest few."""
    if not all(match.values()):
        return 0, []
    found: QuerySet[MessageCopy] = MessageCopy.objects.filter(**match).exclude(pk=copy.pk)
    return found.count(), list(found.order_by("-received_at", "-pk")[:SIMILAR_SHOWN])


def _page(request: HttpRequest, copy: MessageCopy, tab: str, **extra: Any) -> HttpResponse:
    context = {
        "copy": copy,
        "tab": tab,
        "can_preview": has_role(request.user, Role.PREVIEW),
        **extra,
    }
    return render(request, "explorer/entity.html", context)


@require_role(Role.VIEW)
@require_safe
def overview(request: HttpRequest, message_id: int) -> HttpResponse:
    copy = _copy(message_id)
    similar_count, similar = _others(copy, fingerprint=copy.fingerprint)
    recipients_count, recipients = _others(copy, message_id=copy.message_id)
    return _page(
        request,
        copy,
        "overview",
        urls=[Row(url, explorer_query("url.domain", url.domain)) for url in copy.urls.order_by("pk")],
        attachments=[Row(a, explorer_query("attachment.sha256", a.sha256)) for a in copy.attachments.order_by("pk")],
        timeline=list(copy.timeline.all()),
        similar=similar,
        similar_count=similar_count,
        recipients=recipients,
        recipients_count=recipients_count,
        pivots=_pivots(copy),
    )


def _pivots(copy: MessageCopy) -> dict[str, str]:
    """Explorer searches for the copy's identifying values, keyed for the template."""
    fields = {
        "sender.address": copy.from_address,
        "sender.domain": copy.from_domain,
        "sender.ip": copy.sender_ip,
        "mailfrom.domain": copy.mail_from_domain,
        "fingerprint": copy.fingerprint,
        "message_id": copy.message_id,
        "cluster": copy.cluster_id,
        "campaign": copy.campaign_id,
    }
    return {name.replace(".", "_"): explorer_query(name, value) for name, value in fields.items() if value}


@require_role(Role.PREVIEW)
@require_safe
@never_cache
def headers(request: HttpRequest, message_id: int) -> HttpResponse:
    copy = _copy(message_id)
    try:
        raw = read_content(copy, Content.HEADERS, acting_user=request.user)
    except ContentUnavailable as exc:
        return _page(request, copy, "headers", error=exc.message)
    return _page(request, copy, "headers", header_block=header_block(raw))


@require_role(Role.PREVIEW)
@require_safe
def preview(request: HttpRequest, message_id: int) -> HttpResponse:
    """The Preview tab: a sandboxed frame around :func:`preview_frame` (which reads and audits)."""
    return _page(request, _copy(message_id), "preview")


@require_role(Role.PREVIEW)
@require_safe
@never_cache
@xframe_options_sameorigin
def preview_frame(request: HttpRequest, message_id: int) -> HttpResponse:
    copy = _copy(message_id)
    try:
        raw = read_content(copy, Content.PREVIEW, acting_user=request.user)
    except ContentUnavailable as exc:
        response = render(request, "explorer/entity_preview_frame.html", {"error": exc.message}, status=502)
    else:
        response = render(request, "explorer/entity_preview_frame.html", {"preview": render_preview(raw)})
    response["Content-Security-Policy"] = PREVIEW_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_role(Role.PREVIEW)
@require_safe
@never_cache
def download_eml(request: HttpRequest, message_id: int) -> HttpResponse:
    copy = _copy(message_id)
    try:
        raw = read_content(copy, Content.EML, acting_user=request.user)
    except ContentUnavailable as exc:
        messages.error(request, f"The message could not be downloaded: {exc.message}")
        return redirect("explorer-message", message_id=copy.pk)
    return eml_response(copy, raw)
