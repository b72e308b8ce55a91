"""The results table's columns, and each analyst's choice of them (kept in the database, so it
follows them from browser to browser).

A column is shown by key; ``sort`` names the ORM field a click on its header sorts by (only
these are sortable: the whitelist the page accepts in ``?sort=``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from clawback.explorer.models import ExplorerPreference


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str = ""  # the ORM field to sort by; "" when the column does not sort
    numeric: bool = False


COLUMNS: dict[str, Column] = {
    column.key: column
    for column in (
        Column("received", "Received", "received_at"),
        Column("sender", "Sender", "from_address"),
        Column("sender_name", "Sender name"),
        Column("sender_ip", "Sender IP"),
        Column("recipient", "Recipient", "recipient"),
        Column("subject", "Subject", "subject"),
        Column("location", "Location", "location"),
        Column("threats", "Threats"),
        Column("detections", "Detections"),
        Column("delivery_action", "Delivery action"),
        Column("direction", "Direction"),
        Column("auth", "Authentication"),
        Column("folder", "Folder"),
        Column("urls", "URLs", numeric=True),
        Column("attachments", "Attachments", numeric=True),
        Column("size", "Size", "size", numeric=True),
        Column("store", "Store"),
    )
}
DEFAULT_COLUMNS = ("received", "sender", "recipient", "subject", "location", "threats", "folder", "size")
SORTS = {key: column.sort for key, column in COLUMNS.items() if column.sort}
DEFAULT_SORT = "-received"


def clean_columns(keys: Iterable[str]) -> tuple[str, ...]:
    """Known column keys, in the order given, each once (unknown keys are dropped)."""
    return tuple(dict.fromkeys(key for key in keys if key in COLUMNS))


def columns_for(user: AbstractBaseUser | AnonymousUser) -> tuple[Column, ...]:
    """The user's columns, or the default ones."""
    chosen: tuple[str, ...] = ()
    if user.is_authenticated:
        found = ExplorerPreference.objects.filter(user_id=user.pk).values_list("columns", flat=True).first()
        chosen = clean_columns(found or ())
    return tuple(COLUMNS[key] for key in chosen or DEFAULT_COLUMNS)


def do_set_columns(user: AbstractBaseUser, keys: Iterable[str]) -> tuple[str, ...]:
    """Remember ``user``'s columns (none known: back to the default).  A display preference,
    changed only by its owner, so no audit row."""
    columns = clean_columns(keys)
    ExplorerPreference.objects.update_or_create(user_id=user.pk, defaults={"columns": list(columns)})
    return columns or DEFAULT_COLUMNS


def order_by(sort: str) -> tuple[str, str]:
    """The ORM ordering of a whitelisted ``sort`` (``"size"``, ``"-received"``), ties broken
    by id in the same direction; unknown sorts give the default."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        return order_by(DEFAULT_SORT)
    sign = "-" if sort.startswith("-") else ""
    return f"{sign}{SORTS[key]}", f"{sign}pk"
