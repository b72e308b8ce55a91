"""What a remediation acts on: a selection, checked against the limits and frozen into items.

A selection is hand-picked copy ids, a whole query, or a query with exclusions (SPEC §4).  It is
frozen at submission: one item per copy, written by a single ``INSERT ... SELECT`` so that a
million-copy selection never passes through Python objects.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, JSONField, Q, QuerySet, Value, When

from clawback.explorer.query import search
from clawback.mail.models import MessageCopy
from clawback.mailstores.connectors.base import FolderClass
from clawback.remediation.models import Action, ItemState, RemediationItem, SelectionKind
from clawback.remediation.rules import PURGED_REASON, TARGET, not_remediable_reasons


class SelectionError(ValueError):
    """Raised when a selection is malformed or over a limit; the message says what to change."""


@dataclass(frozen=True)
class Selection:
    """Hand-picked ``ids``, or a ``query`` (optionally minus ``exclusions``, copy ids)."""

    ids: tuple[int, ...] = ()
    query: str | None = None
    exclusions: tuple[int, ...] = field(default=())

    @classmethod
    def picked(cls, ids: list[int] | tuple[int, ...]) -> Selection:
        return cls(ids=tuple(ids))

    @classmethod
    def of_query(cls, query: str, exclude: list[int] | tuple[int, ...] = ()) -> Selection:
        return cls(query=query, exclusions=tuple(exclude))

    @property
    def kind(self) -> SelectionKind:
        if self.query is None:
            return SelectionKind.IDS
        return SelectionKind.QUERY_EXCLUSIONS if self.exclusions else SelectionKind.QUERY

    def describe(self) -> dict[str, object]:
        """The selection as recorded on the remediation and in the audit log."""
        return {
            "kind": self.kind.value,
            "query": self.query or "",
            "ids": sorted(set(self.ids)),
            "exclusions": sorted(set(self.exclusions)),
        }


def copies_for(
    selection: Selection, *, now: datetime | None = None, allow_headers: bool = True
) -> QuerySet[MessageCopy]:
    """The copies ``selection`` names, after checking it against the limits (settings).

    ``allow_headers=False`` refuses ``header.<name>`` conditions: a person without the Preview
    role must not probe header contents through a remediation's query.

    Raises :class:`SelectionError` (too many, unknown ids, both or neither of ids and query)
    and :class:`~clawback.explorer.query.QueryError` (a bad query).
    """
    if selection.query is not None and selection.ids:
        raise SelectionError("give hand-picked ids or a query, not both")
    if selection.query is None:
        return _picked(selection)
    if selection.exclusions:
        return _query_with_exclusions(selection, now, allow_headers)
    qs = search(selection.query, now=now, allow_headers=allow_headers)
    limit = settings.CLAWBACK_REMEDIATION_LIMIT_QUERY
    _check_count(qs, limit, "a whole-query remediation", "CLAWBACK_REMEDIATION_LIMIT_QUERY")
    return qs


def _picked(selection: Selection) -> QuerySet[MessageCopy]:
    ids = set(selection.ids)
    if not ids:
        raise SelectionError("nothing selected: give copy ids or a query")
    if selection.exclusions:
        raise SelectionError("exclusions apply to a query, not to hand-picked ids")
    limit = settings.CLAWBACK_REMEDIATION_LIMIT_IDS
    if len(ids) > limit:
        raise SelectionError(
            f"{len(ids):,} copies picked by hand; at most {limit:,} (CLAWBACK_REMEDIATION_LIMIT_IDS): "
            "select them with a query instead"
        )
    qs = MessageCopy.objects.filter(pk__in=ids)
    missing = ids - set(qs.values_list("pk", flat=True))
    if missing:
        raise SelectionError(f"no copies with id {', '.join(str(i) for i in sorted(missing))}")
    return qs


def _query_with_exclusions(selection: Selection, now: datetime | None, allow_headers: bool) -> QuerySet[MessageCopy]:
    assert selection.query is not None
    exclusions = set(selection.exclusions)
    most = settings.CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS
    if len(exclusions) > most:
        raise SelectionError(
            f"{len(exclusions):,} exclusions; at most {most:,} (CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS): "
            "narrow the query instead"
        )
    qs = search(selection.query, now=now, allow_headers=allow_headers)
    limit = settings.CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS
    _check_count(qs, limit, "a query with exclusions", "CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS")
    return qs.exclude(pk__in=exclusions)


def _check_count(qs: QuerySet[MessageCopy], limit: int, mode: str, setting: str) -> None:
    # Counting one past the limit is enough to refuse, and much cheaper than a full count.
    count = qs.order_by()[: limit + 1].count()
    if count > limit:
        total = qs.count()
        raise SelectionError(
            f"the query matches {total:,} copies; {mode} takes at most {limit:,} ({setting}): narrow the query"
        )


def with_sender_copies(qs: QuerySet[MessageCopy]) -> QuerySet[MessageCopy]:
    """``qs`` plus the sender's own copy (in their Sent folder) of each selected message, for
    senders whose mailbox we index: internal senders (SPEC §4 "also act on the sender's copy")."""
    sender_copies = Q(
        location=FolderClass.SENT.value,
        message_id__in=qs.order_by().values("message_id"),
        recipient=F("from_address"),
    )
    return MessageCopy.objects.filter(Q(pk__in=qs.order_by().values("pk")) | sender_copies)


# Columns of an item, in the order the INSERT names them; the SELECTs below match it.
_ITEM_COLUMNS = (
    "remediation_id",
    "copy_id",
    "mailbox_id",
    "mailbox_address",
    "message_id",
    "from_location",
    "from_folder",
    "from_ref",
    "prior_flags",
    "to_location",
    "to_folder",
    "restore_flags",
    "new_ref",
    "state",
    "reason",
    "lease_owner",
    "attempts",
)


def freeze_copies(remediation_id: int, copies: QuerySet[MessageCopy], action: str, *, include_sender: bool) -> int:
    """Insert one item per copy of ``copies`` (skipping copies already in the remediation);
    copies in a location the action may not touch become *not remediable* items with the
    reason.  Returns how many items were inserted."""
    reasons = not_remediable_reasons(action, include_sender_copy=include_sender)
    already = RemediationItem.objects.filter(remediation_id=remediation_id).values("copy_id")
    rows = (
        # Items in mailbox order: one mailbox's items then sit together in the table and its
        # indexes, so each of the executor's writes touches a few pages instead of one page
        # per item (measured on SQLite: ~700 -> ~310 pages written per mailbox of 111 items).
        copies.order_by("mailbox_id", "pk")
        .exclude(pk__in=already)
        .annotate(
            v_remediation=Value(remediation_id, output_field=IntegerField()),
            v_mailbox_address=F("mailbox__address"),
            v_to_location=Value(TARGET[action].value, output_field=CharField()),
            v_to_folder=Value("", output_field=CharField()),
            v_restore_flags=Value(None, output_field=JSONField(null=True)),
            v_new_ref=Value("", output_field=CharField()),
            v_state=_case(reasons, ItemState.NOT_REMEDIABLE.value, ItemState.PENDING.value),
            v_reason=_case(reasons, None, ""),
            v_lease_owner=Value("", output_field=CharField()),
            v_attempts=Value(0, output_field=IntegerField()),
        )
        .values_list(
            "v_remediation",
            "pk",
            "mailbox_id",
            "v_mailbox_address",
            "message_id",
            "location",
            "folder",
            "ref",
            "flags",
            "v_to_location",
            "v_to_folder",
            "v_restore_flags",
            "v_new_ref",
            "v_state",
            "v_reason",
            "v_lease_owner",
            "v_attempts",
        )
    )
    return _insert_select(rows)


def freeze_reversal(remediation_id: int, original_id: int) -> int:
    """Items of an undo: every copy the original moved goes back to its recorded folder with
    its recorded flags (``to_folder``/``restore_flags``).  Copies purged since (soft delete past
    retention) are reported as not remediable, not restored.  Where each copy is *now* and its
    current flags are read again from the index when the undo runs (the executor's intent)."""
    purged = Q(purged_at__isnull=False)
    rows = (
        RemediationItem.objects.filter(remediation_id=original_id, state=ItemState.SUCCEEDED)
        .order_by("mailbox_id", "copy_id")  # mailbox order, as in freeze_copies
        .annotate(
            v_remediation=Value(remediation_id, output_field=IntegerField()),
            v_new_ref=Value("", output_field=CharField()),
            v_state=Case(
                When(purged, then=Value(ItemState.NOT_REMEDIABLE.value)),
                default=Value(ItemState.PENDING.value),
                output_field=CharField(),
            ),
            v_reason=Case(When(purged, then=Value(PURGED_REASON)), default=Value(""), output_field=CharField()),
            v_lease_owner=Value("", output_field=CharField()),
            v_attempts=Value(0, output_field=IntegerField()),
        )
        .values_list(
            "v_remediation",
            "copy_id",
            "mailbox_id",
            "mailbox_address",
            "message_id",
            "to_location",
            "to_folder",
            "new_ref",
            "prior_flags",
            "from_location",
            "from_folder",
            "prior_flags",
            "v_new_ref",
            "v_state",
            "v_reason",
            "v_lease_owner",
            "v_attempts",
        )
    )
    return _insert_select(rows)


def _case(reasons: dict[str, str], state: str | None, default: str) -> Case:
    """A CASE over ``location``: ``state`` (or each location's reason when None) else default."""
    whens = [When(location=loc, then=Value(state if state is not None else why)) for loc, why in reasons.items()]
    return Case(*whens, default=Value(default), output_field=CharField())


def _insert_select(rows: QuerySet[Any]) -> int:
    """``INSERT INTO item (columns) SELECT ...``: one statement, in the database only."""
    sql, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(RemediationItem._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _ITEM_COLUMNS)
    with connection.cursor() as cursor:
        # Table and column names come from model metadata; values are parameters.
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)
        return int(cursor.rowcount)


def digest(remediation_id: int) -> str:
    """sha256 of the remediation's sorted copy ids: equal digests, equal selections."""
    h = hashlib.sha256()
    ids = (
        RemediationItem.objects.filter(remediation_id=remediation_id)
        .order_by("copy_id")
        .values_list("copy_id", flat=True)
    )
    for copy_id in ids.iterator(chunk_size=20_000):
        h.update(b"%d," % (copy_id or 0))
    return h.hexdigest()


def is_hard_delete(action: str) -> bool:
    return action == Action.HARD_DELETE
