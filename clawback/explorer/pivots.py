"""Counts for the Explorer's charts (SPEC §3): copies per value of a pivot, and per time bucket.

Each pivot is one GROUP BY query over the filtered copies, returning the top values and what
the rest add up to.  Pivot keys are query-language field names, so a bar becomes a condition
(``Bucket.query``) the page can add to the query.

Counts are of copies: a copy with three bit.ly URLs counts once under ``url.domain = bit.ly``.
Threats, detections and URLs are multi-valued, so their counts can add up to more than the
number of copies (a copy marked phish and spam counts under both).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import Count, F, QuerySet, Value

from clawback.explorer.query.nodes import value_text
from clawback.mail.models import CopyUrl, MessageCopy

DEFAULT_TOP = 10


@dataclass(frozen=True)
class Pivot:
    key: str  # the query-language field
    label: str
    column: str
    on_url: bool = False  # counted over the copies' URLs
    is_set: bool = False  # a comma-wrapped set column (",phish,spam,")


PIVOTS: dict[str, Pivot] = {
    pivot.key: pivot
    for pivot in (
        Pivot("delivery.action", "Delivery action", "delivery_action"),
        Pivot("sender.domain", "Sender domain", "from_domain"),
        Pivot("sender.ip", "Sender IP", "sender_ip"),
        Pivot("detection", "Detection technology", "detections", is_set=True),
        Pivot("threat", "Threat type", "threats", is_set=True),
        Pivot("url.domain", "URL domain", "domain", on_url=True),
        Pivot("url", "Top URLs", "url", on_url=True),
        Pivot("recipient.address", "Top targeted users", "recipient"),
    )
}
# The chart's pivot picker, then the two tabs beside the chart (as in the reference system).
CHART_PIVOTS = ("delivery.action", "sender.domain", "sender.ip", "detection", "threat", "url.domain")
TAB_PIVOTS = ("url", "recipient.address")


class UnknownPivot(ValueError):
    """Raised for a pivot key that is not one of :data:`PIVOTS`."""

    def __init__(self, key: str) -> None:
        super().__init__(f'unknown pivot "{key}" (pivots are {", ".join(PIVOTS)})')


def get_pivot(key: str) -> Pivot:
    try:
        return PIVOTS[key]
    except KeyError:
        raise UnknownPivot(key) from None


@dataclass(frozen=True)
class Bucket:
    field: str
    value: str  # "" for copies without one (set pivots say "none", as the query language does)
    count: int

    @property
    def query(self) -> str:
        """The condition that selects this bucket's copies."""
        return f"{self.field} = {value_text(self.value)}"


@dataclass(frozen=True)
class PivotResult:
    key: str
    label: str
    buckets: list[Bucket]  # the top values, most copies first
    other: int  # the counts of all values beyond the top ones, added up
    values: int  # how many distinct values there are

    @property
    def total(self) -> int:
        return sum(bucket.count for bucket in self.buckets) + self.other


def pivot(queryset: QuerySet[MessageCopy], key: str, *, top: int = DEFAULT_TOP) -> PivotResult:
    """Copies of ``queryset`` per value of pivot ``key``: the ``top`` values and the rest."""
    spec = get_pivot(key)
    if spec.is_set:
        counts = _set_counts(queryset, spec.column)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        buckets = [Bucket(key, value, n) for value, n in ranked[:top]]
        return PivotResult(key, spec.label, buckets, sum(n for _, n in ranked[top:]), len(ranked))
    grouped = _grouped(queryset, spec)
    rows, total, values = _top(grouped, top)
    buckets = [Bucket(key, value or "", n) for value, n in rows]
    return PivotResult(key, spec.label, buckets, total - sum(b.count for b in buckets), values)


def pivots(
    queryset: QuerySet[MessageCopy], keys: tuple[str, ...] = CHART_PIVOTS, *, top: int = DEFAULT_TOP
) -> list[PivotResult]:
    return [pivot(queryset, key, top=top) for key in keys]


def _grouped(queryset: QuerySet[MessageCopy], spec: Pivot) -> QuerySet[Any]:
    copies = queryset.order_by()
    if not spec.on_url:
        return copies.values(value=F(spec.column)).annotate(n=Count("*"))
    urls = CopyUrl.objects.using(queryset.db).filter(copy__in=copies.values("pk"))
    return urls.values(value=F(spec.column)).annotate(n=Count("copy_id", distinct=True))


def _top(grouped: QuerySet[Any], top: int) -> tuple[list[tuple[str, int]], int, int]:
    """The ``top`` groups, the sum of all counts and the number of groups, in one query (the
    ORM cannot put an aggregate inside a window function, so the grouped query is wrapped)."""
    sql, params = grouped.query.sql_with_params()
    wrapped = (
        "SELECT value, n, SUM(n) OVER (), COUNT(*) OVER () "  # noqa: S608 - sql is the ORM's
        f"FROM ({sql}) grouped ORDER BY n DESC, value LIMIT %s"
    )
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(wrapped, [*params, top])
        fetched = cursor.fetchall()
    if not fetched:
        return [], 0, 0
    return [(value, n) for value, n, _, _ in fetched], int(fetched[0][2]), int(fetched[0][3])


def _set_counts(queryset: QuerySet[MessageCopy], column: str) -> Counter[str]:
    """Members of a set column, counted: one GROUP BY over the (few) distinct sets."""
    counts: Counter[str] = Counter()
    for members, n in queryset.order_by().values_list(column).annotate(n=Count("pk")):
        for member in [m for m in members.split(",") if m] or ["none"]:
            counts[member] += n
    return counts


# --- time ---------------------------------------------------------------------------------

# Bucket widths a chart may use, narrowest first.
STEPS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 3 * 60, 6 * 60, 12 * 60, 24 * 60, 7 * 24 * 60))
MAX_BUCKETS = 168
# SQLite allows at most 500 SELECTs in one compound statement.
_UNION_PARTS = 200


@dataclass(frozen=True)
class Histogram:
    start: datetime
    step: timedelta
    counts: list[int]  # copies per bucket; bucket i starts at start + i * step

    @property
    def end(self) -> datetime:
        return self.start + self.step * len(self.counts)

    def buckets(self) -> list[tuple[datetime, int]]:
        return [(self.start + self.step * i, n) for i, n in enumerate(self.counts)]


def step_for(start: datetime, end: datetime, max_buckets: int = MAX_BUCKETS) -> timedelta:
    """The narrowest of :data:`STEPS` that cuts ``[start, end)`` into at most ``max_buckets``."""
    span = end - start
    return next((step for step in STEPS if span / step <= max_buckets), STEPS[-1])


def histogram(
    queryset: QuerySet[MessageCopy],
    *,
    start: datetime,
    end: datetime,
    step: timedelta | None = None,
) -> Histogram:
    """Copies of ``queryset`` received in ``[start, end)`` per bucket of ``step`` (default: see
    :func:`step_for`); buckets start at ``start`` and empty ones count 0.

    One statement: a ``UNION ALL`` of one count per bucket.  Each count reads a range of the
    (received_at, ...) index, so the whole is one pass over the range in index order; a GROUP
    BY on a computed bucket would sort every row instead (on SQLite, ten times slower).  The
    count's SQL is made once by the ORM and repeated with each bucket's bounds.
    """
    step = step or step_for(start, end)
    if step.total_seconds() < 1:
        raise ValueError("a histogram step must be at least one second")
    size = -(-(end - start) // step)
    bounds = [(start + step * i, min(end, start + step * (i + 1))) for i in range(size)]
    sql, params = _range_count(queryset)
    counts: list[int] = []
    with connections[queryset.db].cursor() as cursor:
        for first in range(0, size, _UNION_PARTS):
            part = bounds[first : first + _UNION_PARTS]
            # ``sql`` is the ORM's and the bucket numbers are ours: no input reaches the text.
            union = " UNION ALL ".join(
                f"SELECT {first + i} AS bucket, n FROM ({sql}) part{i}"  # noqa: S608
                for i in range(len(part))
            )
            cursor.execute(union, [value for lo, hi in part for value in params(lo, hi)])
            counts += [n for _, n in sorted(cursor.fetchall())]
    return Histogram(start, step, counts)


# Stand-in bounds: the SQL is compiled with these, then each bucket's bounds take their place.
_LOW, _HIGH = datetime(1900, 1, 1, tzinfo=UTC), datetime(1900, 1, 2, tzinfo=UTC)


def _range_count(queryset: QuerySet[MessageCopy]) -> tuple[str, Callable[[datetime, datetime], list[Any]]]:
    """The SQL that counts ``queryset``'s copies received in one range, and a function giving
    its parameters for a range."""
    ranged = queryset.order_by().filter(received_at__gte=_LOW, received_at__lt=_HIGH)
    sql, params = ranged.values(one=Value(1)).annotate(n=Count("*")).values_list("n").query.sql_with_params()
    adapt = connections[queryset.db].ops.adapt_datetimefield_value
    low, high = adapt(_LOW), adapt(_HIGH)

    def bind(lo: datetime, hi: datetime) -> list[Any]:
        swap: dict[Any, Any] = {low: adapt(lo), high: adapt(hi)}
        return [swap.get(value, value) if isinstance(value, str | datetime) else value for value in params]

    return sql, bind
