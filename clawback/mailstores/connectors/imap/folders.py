"""Which folder is which: folder classes from SPECIAL-USE attributes (RFC 6154).

Precedence, highest first:

1. the store's ``folder_overrides`` (an administrator's explicit choice);
2. ``INBOX`` (RFC 3501 §5.1: the name is case-insensitive);
3. the configured recoverable and quarantine folder names;
4. special-use attributes from LIST: ``\\Junk`` → junk, ``\\Trash`` → deleted, ``\\Sent`` →
   sent; ``\\Drafts``, ``\\Archive``, ``\\All``, ``\\Flagged`` → other;
5. only for servers that mark no folder with a class's attribute: the usual English names
   (``Junk``, ``Spam``, ``Trash``, ``Deleted Items``, ``Sent Items``…), at the top level or
   directly under ``INBOX`` (Courier/Cyrus ``INBOX.Junk``);
6. anything else → other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clawback.mailstores.connectors.base import FolderClass

SPECIAL_USE: dict[str, FolderClass] = {
    "\\junk": FolderClass.JUNK,
    "\\trash": FolderClass.DELETED,
    "\\sent": FolderClass.SENT,
}
_NOT_SELECTABLE = frozenset({"\\noselect", "\\nonexistent"})
_USUAL_NAMES: dict[str, FolderClass] = {
    "junk": FolderClass.JUNK,
    "spam": FolderClass.JUNK,
    "junk e-mail": FolderClass.JUNK,
    "junk email": FolderClass.JUNK,
    "bulk mail": FolderClass.JUNK,
    "trash": FolderClass.DELETED,
    "deleted items": FolderClass.DELETED,
    "deleted messages": FolderClass.DELETED,
    "sent": FolderClass.SENT,
    "sent items": FolderClass.SENT,
    "sent messages": FolderClass.SENT,
    "sent mail": FolderClass.SENT,
}


@dataclass(frozen=True)
class FolderInfo:
    """A folder as LIST reports it, with its class."""

    name: str
    attributes: frozenset[str]  # lower-cased, e.g. {"\\haschildren", "\\junk"}
    delimiter: str | None
    folder_class: FolderClass
    # How the class was decided: "override", "inbox", "configured", "special-use", "name", "".
    source: str = ""

    @property
    def selectable(self) -> bool:
        return not (self.attributes & _NOT_SELECTABLE)


def classify_folders(
    listing: Iterable[tuple[Iterable[bytes | str], bytes | str | None, str]],
    *,
    overrides: Mapping[str, FolderClass],
    recoverable: str,
    quarantine: str | None,
) -> list[FolderInfo]:
    """Classify every folder of one LIST response (``(attributes, delimiter, name)`` tuples)."""
    raw = [(name, frozenset(_text(a).lower() for a in attrs), _delim(d)) for attrs, d, name in listing]
    flagged = {SPECIAL_USE[a] for _, attrs, _ in raw for a in attrs if a in SPECIAL_USE}
    folders = []
    for name, attrs, delimiter in raw:
        folder_class, source = _classify(name, attrs, delimiter, overrides, recoverable, quarantine, flagged)
        folders.append(FolderInfo(name, attrs, delimiter, folder_class, source))
    return folders


def _classify(
    name: str,
    attrs: frozenset[str],
    delimiter: str | None,
    overrides: Mapping[str, FolderClass],
    recoverable: str,
    quarantine: str | None,
    flagged: set[FolderClass],
) -> tuple[FolderClass, str]:
    if name in overrides:
        return overrides[name], "override"
    if name.upper() == "INBOX":
        return FolderClass.INBOX, "inbox"
    if name == recoverable:
        return FolderClass.RECOVERABLE, "configured"
    if quarantine is not None and name == quarantine:
        return FolderClass.QUARANTINE, "configured"
    for attr in attrs:
        if attr in SPECIAL_USE:
            return SPECIAL_USE[attr], "special-use"
    by_name = _USUAL_NAMES.get(_leaf_under_inbox(name, delimiter).lower())
    if by_name is not None and by_name not in flagged:
        return by_name, "name"
    return FolderClass.OTHER, ""


# Lower is preferred when several folders share the class wanted as a move target.
_TARGET_PREFERENCE = {"override": 0, "inbox": 1, "configured": 1, "special-use": 2, "name": 3}


def target_folder(folders: Iterable[FolderInfo], folder_class: FolderClass) -> FolderInfo | None:
    """The selectable folder that messages moved to ``folder_class`` should land in."""
    candidates = [f for f in folders if f.folder_class == folder_class and f.selectable]
    if not candidates:
        return None
    return min(candidates, key=lambda f: _TARGET_PREFERENCE.get(f.source, 9))


def _leaf_under_inbox(name: str, delimiter: str | None) -> str:
    if delimiter and name.upper().startswith("INBOX" + delimiter):
        name = name[len("INBOX" + delimiter) :]
    if delimiter and delimiter in name:
        return ""  # deeper folders keep their user meaning ("Projects/Sent" is not Sent)
    return name


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _delim(value: bytes | str | None) -> str | None:
    return None if value is None else _text(value)
