"""The only writer of audit rows: ``record()``, called inside the acting transaction."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from clawback.audit.models import AuditEvent, ChainHead

GENESIS = "0" * 64
SYSTEM = "system"
# Parameter names whose values never reach the audit log (or any log).
SENSITIVE_KEYS = frozenset({"password", "secret", "token", "client_secret", "api_key"})

_request = threading.local()


def set_request_id(request_id: str) -> None:
    _request.id = request_id


def current_request_id() -> str:
    return getattr(_request, "id", "")


def censor(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.lower() in SENSITIVE_KEYS or key.lower().endswith("_password"):
            out[key] = "********"
        elif isinstance(value, Mapping):
            out[key] = censor(value)
        else:
            out[key] = value
    return out


def _digest(prev: str, fields: Mapping[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + payload).encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "request_id": event.request_id,
        "data": event.data,
    }


def actor_label(actor: AbstractBaseUser | AnonymousUser | str | None) -> tuple[Any, str]:
    if actor is None:
        return None, SYSTEM
    if isinstance(actor, str):
        return None, actor
    if isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        return None, "anonymous"
    return actor, actor.get_username()


def record(
    action: str,
    *,
    actor: AbstractBaseUser | AnonymousUser | str | None,
    obj: Any = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row.  ``action`` is a dotted code such as ``store.add``."""
    user, name = actor_label(actor)
    with transaction.atomic():
        # The head row (created by migration) is the lock that serialises appends.
        head = ChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=user,
            actor_name=name,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            request_id=current_request_id(),
            data=json.loads(json.dumps(censor(data or {}), default=str)),
            prev_digest=head.digest,
        )
        event.digest = _digest(head.digest, _fields(event))
        event.save()
        head.digest = event.digest
        head.count += 1
        head.save(update_fields=["digest", "count"])
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def verify(events: Iterable[AuditEvent] | None = None) -> VerifyResult:
    """Walk the chain; report every row whose content or link does not match."""
    problems: list[str] = []
    prev = GENESIS
    checked = 0
    rows = events if events is not None else AuditEvent.objects.order_by("id").iterator(2000)
    for event in rows:
        checked += 1
        if event.prev_digest != prev:
            problems.append(f"row {event.pk}: previous row missing or changed (chain broken)")
        if _digest(event.prev_digest, _fields(event)) != event.digest:
            problems.append(f"row {event.pk} ({event.action}): content does not match its digest")
        prev = event.digest
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None:
        if head.count != checked:
            problems.append(f"chain head counts {head.count} rows but {checked} exist")
        if head.digest != prev:
            problems.append("the newest row is not the one the chain head names (last row removed?)")
    return VerifyResult(ok=not problems, checked=checked, problems=problems)
