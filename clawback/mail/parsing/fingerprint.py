"""Body fingerprints: an exact hash of the normalised text and a 64-bit simhash (Charikar 2002).

Normalisation removes what changes between copies of one campaign (URLs with tracking ids,
addresses, numbers, the recipient's own name) so that "similar emails" and clustering group
them; punctuation and case go too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import filterfalse

# Everything that is not a letter: digits, "_", punctuation, symbols, whitespace.
_NON_LETTER = re.compile(r"[\W\d_]+")
_LETTERS = re.compile(r"[^\W\d_]+")  # the words that are left when those are removed
_LINK_MARKERS = ("@", "://", "www.")
_ASCII_LETTERS = bytes(c if chr(c).isalpha() else 32 for c in range(128)) + b" " * 128
_MASK64 = (1 << 64) - 1
MAX_WORDS = 20_000

# Simple tabulation hashing (Patrascu & Thorup 2012): every word gets three independent 64-bit
# hashes, and a shingle (a, b, c) hashes to h1[a] ^ h2[b] ^ h3[c].  That is 3-independent, which
# is what simhash needs, and costs three dict look-ups and two XORs instead of a digest per
# shingle.  The tables are shared across messages (campaigns and languages reuse words).  The
# hashes are kept as 8 little-endian bytes, so that a text's shingles are XORed as three joined
# byte strings (three big-integer XORs) rather than one Python XOR per shingle.
_H1: dict[str, bytes] = {}
_H2: dict[str, bytes] = {}
_H3: dict[str, bytes] = {}
_WORD_CACHE_LIMIT = 200_000


def normalise(text: str, personal: Iterable[str] = ()) -> list[str]:
    """Lower-case words only.  Tokens holding a URL or an address are dropped whole (string
    searches are several times cheaper than regex substitutions), then everything that is not a
    letter; ``personal`` words (the recipients' names) go last."""
    joined = " ".join(text.lower().split())
    if "://" in joined or "www." in joined or "@" in joined:
        joined = _drop_link_tokens(joined)
    if joined.isascii():  # the common case: a byte table is ~10x faster than the regex
        words = joined.encode("ascii").translate(_ASCII_LETTERS).decode("ascii").split()
    else:
        words = _LETTERS.findall(joined)
    if personal:
        drop = personal if isinstance(personal, (set, frozenset)) else set(personal)
        words = list(filterfalse(drop.__contains__, words))  # the loop in C
    return words[:MAX_WORDS]


def _drop_link_tokens(joined: str) -> str:
    """``joined`` (tokens separated by single spaces) without the tokens that hold a URL or an
    address: each marker is found with ``str.find`` and its token cut out at the spaces around
    it, instead of testing every token."""
    spans: list[tuple[int, int]] = []
    for marker in _LINK_MARKERS:
        pos = joined.find(marker)
        while pos >= 0:
            end = joined.find(" ", pos)
            end = len(joined) if end < 0 else end
            spans.append((joined.rfind(" ", 0, pos) + 1, end))
            pos = joined.find(marker, end)
    spans.sort()
    kept: list[str] = []
    last = 0
    for start, end in spans:
        if start > last:
            kept.append(joined[last:start])
        last = max(last, end)
    kept.append(joined[last:])
    return " ".join(kept)


def personal_words(names: Iterable[str]) -> set[str]:
    """Words of recipients' display names and mailbox local parts ("alice.smith" -> alice, smith)."""
    out: set[str] = set()
    for name in names:
        out.update(_name_words(name) if len(name) <= 256 else _name_words.__wrapped__(name))
    return out


@lru_cache(maxsize=8192)  # names repeat across messages: the recipient's, colleagues'
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(w for w in _NON_LETTER.sub(" ", name.lower()).split() if len(w) > 1)


def exact(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest() if normalised else ""


def _learn(words: list[str]) -> None:
    missing = set(words).difference(_H1)
    if len(_H1) + len(missing) > _WORD_CACHE_LIMIT:
        _H1.clear()
        _H2.clear()
        _H3.clear()
        missing = set(words)
    for word in missing:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=24).digest()
        _H1[word] = digest[:8]
        _H2[word] = digest[8:16]
        _H3[word] = digest[16:]


def simhash(words: list[str]) -> int:
    """64-bit simhash over word 3-shingles, as a signed int (fits a BigIntegerField).

    The per-bit vote is counted in C: all shingle hashes are packed into one bytes object whose
    byte columns are summed through lane tables (see ``_votes``).
    """
    if not words:
        return 0
    if len(words) < 3:
        words = (words * 3)[:3]  # one shingle, so short texts still get a stable value
    _learn(words)
    total = len(words) - 2
    size = 8 * total
    first = int.from_bytes(b"".join(map(_H1.__getitem__, words[:total])), "little")
    second = int.from_bytes(b"".join(map(_H2.__getitem__, words[1 : total + 1])), "little")
    third = int.from_bytes(b"".join(map(_H3.__getitem__, words[2:])), "little")
    value = _votes((first ^ second ^ third).to_bytes(size, "little"), total)
    return value - (1 << 64) if value >= 1 << 63 else value


def _votes(packed: bytes, total: int) -> int:
    """The 64-bit word whose bit b is set when more than half of the ``total`` little-endian
    64-bit hashes in ``packed`` have bit b set.

    Bit-sliced counting: each byte value maps to four of its bits spread into 15-bit lanes of
    one integer (:data:`_LANES_LOW`, :data:`_LANES_HIGH`), so summing the mapped bytes of one
    byte column counts four bits at once, in ``sum``'s machine-integer fast path (four lanes of
    15 bits stay below 2**63; a lane holds up to 32,767 > ``MAX_WORDS``).  About 50 machine
    instructions per hash instead of ~2,800 for spreading every bit into a byte of its own.
    """
    value = 0
    for column in range(8):
        data = packed[column::8]
        for half, lanes in enumerate((_LANES_LOW, _LANES_HIGH)):
            counts = sum(map(lanes.__getitem__, data))
            for lane in range(4):
                if 2 * ((counts >> (15 * lane)) & 0x7FFF) > total:
                    value |= 1 << (8 * column + 4 * half + lane)
    return value


_LANES_LOW = [sum(((byte >> bit) & 1) << (15 * bit) for bit in range(4)) for byte in range(256)]
_LANES_HIGH = [sum(((byte >> (bit + 4)) & 1) << (15 * bit) for bit in range(4)) for byte in range(256)]


def hamming(a: int, b: int) -> int:
    """Bits that differ between two simhashes (near duplicates differ in a few)."""
    return ((a ^ b) & _MASK64).bit_count()
