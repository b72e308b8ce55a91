"""The Explorer's views (SPEC §3): All email, Malware, Phish and Campaigns.

A view is a query-language condition ANDed to whatever the analyst typed, so every view can be
written out as a plain query (``View.query``) and saved, shared or run from the CLI.  The
Campaigns view groups its copies by campaign (:func:`campaigns`).

Campaign key: the index has ``campaign_id`` and ``cluster_id`` columns, but nothing fills them
yet (ingest writes ""), so a copy's campaign is its ``campaign_id``, else its ``cluster_id``,
else its body fingerprint (the exact hash of the normalised body without personal words: the
same mass mailing sent to many recipients).  Once a clustering step fills ``cluster_id`` from
the simhash, near-duplicates group without any change here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.db.models import Count, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf

from clawback.explorer.query import compile_query, search
from clawback.explorer.query.nodes import value_text
from clawback.mail.models import MessageCopy

# Threat types that make a campaign (the reference system's campaigns are phish and malware).
CAMPAIGN_THREATS = ("phish", "high-confidence-phish", "malware")


@dataclass(frozen=True)
class View:
    key: str
    label: str
    condition: str  # query-language text; "" matches every copy
    description: str

    @property
    def grouped(self) -> bool:
        """Whether the view lists campaigns rather than copies."""
        return self.key == "campaigns"

    def query(self, text: str = "") -> str:
        """The view and ``text`` as one query (to save, share or paste into the CLI)."""
        return join(self.condition, text.strip())


def join(*parts: str) -> str:
    """The non-empty ``parts`` ANDed, each bracketed when there are several."""
    present = [part for part in parts if part]
    return " and ".join(f"({part})" if len(present) > 1 else part for part in present)


VIEWS: dict[str, View] = {
    view.key: view
    for view in (
        View("all", "All email", "", "Every delivered copy"),
        View("malware", "Malware", "threat = malware", "Copies with a malware verdict"),
        View(
            "phish",
            "Phish",
            "threat in (phish, high-confidence-phish)",
            "Copies with a phish or high-confidence phish verdict",
        ),
        View(
            "campaigns",
            "Campaigns",
            f"threat in ({', '.join(CAMPAIGN_THREATS)})",
            "Phish and malware grouped by campaign (same campaign, cluster or body fingerprint)",
        ),
    )
}
DEFAULT_VIEW = "all"


def default_range(now: datetime) -> tuple[datetime, datetime]:
    """The Explorer's default time range, as in the reference system: yesterday and today (UTC
    days, as ``received >= yesterday`` in the query language)."""
    today = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    return today - timedelta(days=1), today + timedelta(days=1)


class UnknownView(ValueError):
    """Raised for a view name that is not one of :data:`VIEWS`."""

    def __init__(self, key: str) -> None:
        super().__init__(f'unknown view "{key}" (views are {", ".join(VIEWS)})')


def get_view(key: str) -> View:
    try:
        return VIEWS[key]
    except KeyError:
        raise UnknownView(key) from None


def view_search(
    view: str,
    text: str = "",
    *,
    now: datetime | None = None,
    allow_headers: bool = True,
) -> QuerySet[MessageCopy]:
    """The copies of ``view`` matching ``text`` (unordered, one SQL query).

    The view's condition is compiled separately, so a :class:`QueryError` always points into
    ``text`` as the analyst typed it.  Raises :class:`UnknownView` for a bad ``view``.
    """
    condition = get_view(view).condition
    found = search(text, now=now, allow_headers=allow_headers)
    return found.filter(compile_query(condition, now=now)) if condition else found


def newest(queryset: QuerySet[MessageCopy], *, offset: int = 0, limit: int = 50) -> list[MessageCopy]:
    """One page of ``queryset``, newest first (with the store), for the results table.

    Two queries: the page's ids, then their rows.  Sorting ids and times rather than whole rows
    matters when many copies match and the order is not an index's: SQLite would otherwise
    sort every matching row with its ~2.4 KB of headers (40,000 copies with a bit.ly URL:
    0.35 s instead of 0.12 s at a million copies).
    """
    return page(queryset, ("-received_at", "-pk"), offset=offset, limit=limit)


def page(queryset: QuerySet[MessageCopy], order: Sequence[str], *, offset: int, limit: int) -> list[MessageCopy]:
    """One page of ``queryset`` in ORM ``order``, with the store: ids first, then their rows
    (see :func:`newest` for why)."""
    ids = list(queryset.order_by(*order).values_list("pk", flat=True)[offset : offset + limit])
    rows = MessageCopy.objects.using(queryset.db).select_related("store").in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


# --- campaigns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    key: str
    kind: str  # "campaign", "cluster" or "fingerprint": which column ``key`` comes from
    copies: int
    recipients: int
    senders: int
    first_seen: datetime
    last_seen: datetime
    subject: str  # a sample
    sender: str  # a sample
    malware: int  # copies with a malware verdict
    phish: int  # copies with a phish or high-confidence phish verdict

    @property
    def query(self) -> str:
        """The condition that selects this campaign's copies."""
        # The query language names the columns campaign_id, cluster_id and fingerprint so.
        return f"{self.kind} = {value_text(self.key)}"


def campaign_key() -> Coalesce:
    """campaign_id, else cluster_id, else fingerprint; NULL when none is set."""
    return Coalesce(
        NullIf("campaign_id", Value("")),
        NullIf("cluster_id", Value("")),
        NullIf("fingerprint", Value("")),
    )


def campaigns(queryset: QuerySet[MessageCopy], *, limit: int = 50, min_copies: int = 2) -> list[Campaign]:
    """The biggest campaigns among ``queryset`` (one GROUP BY query), most copies first.

    Pass the Campaigns view's copies (``view_search("campaigns", ...)``) for the reference
    behaviour, or any other queryset to group it the same way.  Groups of fewer than
    ``min_copies`` copies are left out: one message to one person is not a campaign.
    """
    rows = (
        queryset.annotate(key=campaign_key())
        .exclude(key=None)
        .values("key")
        .annotate(
            copies=Count("pk"),
            recipients=Count("recipient", distinct=True),
            senders=Count("from_address", distinct=True),
            first_seen=Min("received_at"),
            last_seen=Max("received_at"),
            subject=Max("subject"),
            sender=Max("from_address"),
            campaign=Max("campaign_id"),
            cluster=Max("cluster_id"),
            malware=Count("pk", filter=Q(threats__contains=",malware,")),
            phish=Count("pk", filter=Q(threats__contains=",phish,") | Q(threats__contains=",high-confidence-phish,")),
        )
        .filter(copies__gte=min_copies)
        .order_by("-copies", "-last_seen", "key")[:limit]
    )
    return [_campaign(row) for row in rows]


def _campaign(row: dict[str, object]) -> Campaign:
    campaign, cluster = row.pop("campaign"), row.pop("cluster")
    kind = "campaign" if campaign else "cluster" if cluster else "fingerprint"
    return Campaign(kind=kind, **row)  # type: ignore[arg-type]
