"""The Explorer's charts as server-side SVG (SPEC §3): pivot bars and the time histogram.

No JavaScript and no inline style (the CSP allows neither): sizes are SVG attributes, colours
come from classes in search.css.  Every label may come from an email (a sender domain, a URL, a
recipient), so everything interpolated goes through ``escape``; the result is marked safe only
here, once it is whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clawback.explorer.pivots import Bucket, Histogram, PivotResult

WIDTH = 720
ROW = 24  # height of one bar's row
LABEL = 260  # width of the label column
COUNT = 70  # room right of the longest bar for its count
LABEL_CHARS = 40
HIST_HEIGHT = 120
HIST_AXIS = 18


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bucket_label(bucket: Bucket) -> str:
    return bucket.value or "(none)"


def _plural(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


def bar_chart(result: PivotResult, href: Callable[[Bucket], str], *, kind: str = "pivot-chart") -> SafeString:
    """Horizontal bars, one per bucket, most copies first, each a link to ``href(bucket)``; the
    values beyond the top ones are one last bar, "Other", without a link."""
    rows: list[tuple[str, int, str | None]] = [(bucket_label(b), b.count, href(b)) for b in result.buckets]
    if result.other:
        rows.append((f"Other ({result.values - len(result.buckets)} values)", result.other, None))
    title = f"{result.label}: messages per value"
    if not rows:
        return _svg(kind, title, ROW, [_text(LABEL, ROW - 8, "No messages", "empty")])
    peak = max(count for _, count, _ in rows) or 1
    scale = (WIDTH - LABEL - COUNT) / peak
    parts = [_bar(i, label, count, link, scale) for i, (label, count, link) in enumerate(rows)]
    return _svg(kind, title, ROW * len(rows), parts)


def _bar(index: int, label: str, count: int, link: str | None, scale: float) -> str:
    y = index * ROW
    width = max(1.0, count * scale)
    body = (
        f"<title>{escape(label)}: {_plural(count)}</title>"
        + _text(LABEL - 8, y + ROW - 8, _short(label), "bar-label", anchor="end")
        + f'<rect class="bar" x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="{ROW - 6}"/>'
        + _text(LABEL + width + 6, y + ROW - 8, str(count), "bar-count")
    )
    if link is None:
        return f'<g class="bar-row other">{body}</g>'
    return f'<a class="bar-row" href="{escape(link)}">{body}</a>'


def histogram_chart(
    result: Histogram, href: Callable[[datetime, datetime], str] | None = None, *, kind: str = "histogram"
) -> SafeString:
    """Vertical bars per time bucket, with the range's ends and the tallest count as labels.
    With ``href``, each bar that has messages links to ``href(start, end)``: the search
    narrowed to that bucket."""
    counts = result.counts
    title = f"Messages per {_step(result.step)}"
    if not counts:
        return _svg(kind, title, HIST_HEIGHT, [])
    peak = max(counts) or 1
    slot = WIDTH / len(counts)
    plot = HIST_HEIGHT - HIST_AXIS
    parts = []
    for i, (start, count) in enumerate(result.buckets()):
        height = count / peak * (plot - 14)
        label = f"{start:%Y-%m-%d %H:%M} UTC: {_plural(count)}"
        body = (
            f"<title>{escape(label)}</title>"
            f'<rect class="bar" x="{i * slot + 0.5:.1f}" y="{plot - height:.1f}" '
            f'width="{max(1.0, slot - 1):.1f}" height="{max(height, 0):.1f}"/>'
        )
        if href is not None and count:
            link = href(start, start + result.step)
            parts.append(f'<a class="hist-bar" href="{escape(link)}">{body}</a>')
        else:
            parts.append(f'<g class="hist-bar">{body}</g>')
    parts.append(f'<line class="axis" x1="0" y1="{plot}" x2="{WIDTH}" y2="{plot}"/>')
    parts.append(_text(0, HIST_HEIGHT - 4, f"{result.start:%Y-%m-%d %H:%M}", "axis-label"))
    parts.append(_text(WIDTH, HIST_HEIGHT - 4, f"{result.end:%Y-%m-%d %H:%M} UTC", "axis-label", anchor="end"))
    parts.append(_text(2, 11, f"max {peak}", "axis-label"))
    return _svg(kind, title, HIST_HEIGHT, parts)


def _step(step: timedelta) -> str:
    minutes = int(step.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return "minute" if minutes == 1 else f"{minutes} minutes"


def _text(x: float, y: float, text: str, css: str, *, anchor: str = "start") -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _svg(kind: str, title: str, height: int, parts: list[str]) -> SafeString:
    # No id: a page may hold several charts, and htmx would carry width/height over from the
    # old chart to the new one ("settling" elements whose id survives a swap).
    head = (
        f'<svg class="chart {escape(kind)}" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308 - every piece is escaped above
