# Accented and non-Latin-1 names are deliberate (RFC 2047 display names).
# ruff: noqa: RUF001
"""Who sends and receives the demo mail: the organisation's staff and its outside contacts.

Names are drawn from a fixed list that mixes plain ASCII with accented and non-Latin-1 names, so
that display names exercise RFC 2047 encoded-words while addresses stay ASCII (``first.last``).
"""

from __future__ import annotations

import random
import unicodedata

FIRST_NAMES = (
    "Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
    "Mallory", "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter",
    "Anna", "Ben", "Chloé", "Daniel", "Emma", "Felix", "Hannah", "Jonas", "Laura", "Lukas",
    "Maria", "Noah", "Sofia", "Tom", "Zoë", "José", "Łukasz", "Søren", "François", "Björn",
    "Jürgen", "Inês", "Mateo", "Aisha", "Kenji", "Priya", "Oğuz", "Renée", "Dominik", "Elena",
    "Marta", "Pablo", "Sarah", "Thomas", "Yuki", "Nora", "Oscar", "Lena", "Milan", "Ana",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Miller", "Brown", "Davis", "Wilson", "Taylor", "Clark", "Walker",
    "Young", "King", "Wright", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell",
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
    "García", "Martínez", "López", "Fernández", "Dubois", "Lefèvre", "Moreau", "Rossi",
    "Bianchi", "Nowak", "Kowalski", "Andersson", "Johansson", "Nielsen", "Jensen", "Novák",
    "Dvořák", "Horváth", "Yılmaz", "Tanaka", "Sato", "Kumar", "Patel", "Okafor", "Silva",
    "Santos", "Costa", "Weiß", "Brandt", "van Dijk", "de Vries", "O'Brien", "Kelly",
)  # fmt: skip

# Characters NFKD does not decompose into ASCII.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ı": "i", "đ": "d"})

# The order of names handed out by mailboxes(): fixed, so mailboxes(10) is a prefix of
# mailboxes(100) and the same on every machine.
_MAILBOX_SEED = 20250101


def ascii_fold(text: str) -> str:
    """'Łukasz Dvořák' -> 'Lukasz Dvorak'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if ord(c) < 128)


def local_part(first: str, last: str) -> str:
    """The ``first.last`` mailbox name: lower-case ASCII, no spaces or apostrophes."""
    folded = ascii_fold(f"{first}.{last}").lower()
    return folded.replace(" ", "").replace("'", "")


# folded local part -> (first, last) with the original spelling, to recover display names.
_BY_LOCAL: dict[str, tuple[str, str]] = {local_part(f, last): (f, last) for f in FIRST_NAMES for last in LAST_NAMES}


def mailboxes(n: int, domain: str = "example.test") -> list[str]:
    """``n`` distinct, realistic ``first.last@domain`` addresses, always the same ones.

    Past the number of name combinations, a digit is appended (``anna.smith2@``), as directories
    do for namesakes.
    """
    rng = random.Random(_MAILBOX_SEED)
    combos = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(combos)
    out: list[str] = []
    for i in range(n):
        first, last = combos[i % len(combos)]
        suffix = "" if i < len(combos) else str(i // len(combos) + 1)
        out.append(f"{local_part(first, last)}{suffix}@{domain}")
    return out


def display_name(address: str) -> str:
    """The person's name for an address made by :func:`mailboxes` (or a fair guess)."""
    local = address.partition("@")[0].rstrip("0123456789")
    known = _BY_LOCAL.get(local)
    if known:
        return f"{known[0]} {known[1]}"
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def first_name(address: str) -> str:
    return display_name(address).split(" ", 1)[0]


def random_person(rng: random.Random) -> tuple[str, str]:
    """A (first, last) pair for an outside contact."""
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
