"""Body fingerprints: an exact hash of the normalised text and a 64-bit simhash (Charikar 2002).

Normalisation removes what changes between copies of one campaign (URLs with tracking ids,
addresses, numbers, the recipient's own name) so that "similar emails" and clustering group
them; punctuation and case go too.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from operator import xor

# Everything that is not a letter: digits, "_", punctuation, symbols, whitespace.
_NON_LETTER = re.compile(r"[\W\d_]+")
_ASCII_LETTERS = bytes(c if chr(c).isalpha() else 32 for c in range(128)) + b" " * 128
_MASK64 = (1 << 64) - 1
MAX_WORDS = 20_000

# Simple tabulation hashing (Patrascu & Thorup 2012): every word gets three independent 64-bit
# hashes, and a shingle (a, b, c) hashes to h1[a] ^ h2[b] ^ h3[c].  That is 3-independent, which
# is what simhash needs, and costs three dict look-ups and two XORs instead of a digest per
# shingle.  The tables are shared across messages (campaigns and languages reuse words).
_H1: dict[str, int] = {}
_H2: dict[str, int] = {}
_H3: dict[str, int] = {}
_WORD_CACHE_LIMIT = 200_000
# For bit j: a table mapping a byte to 1 when its bit j is set, else 0 (see simhash()).
_BIT_TABLES = [bytes((value >> bit) & 1 for value in range(256)) for bit in range(8)]


def normalise(text: str, personal: Iterable[str] = ()) -> list[str]:
    """Lower-case words only.  Tokens holding a URL or an address are dropped whole (one pass
    over whitespace tokens is several times cheaper than regex substitutions), then everything
    that is not a letter; ``personal`` words (the recipients' names) go last."""
    text = text.lower()
    tokens = text.split()
    if "://" in text or "www." in text or "@" in text:
        tokens = [t for t in tokens if "@" not in t and "://" not in t and "www." not in t]
    joined = " ".join(tokens)
    if joined.isascii():  # the common case: a byte table is ~10x faster than the regex
        words = joined.encode("ascii").translate(_ASCII_LETTERS).decode("ascii").split()
    else:
        words = _NON_LETTER.sub(" ", joined).split()
    if personal:
        drop = set(personal)
        words = [w for w in words if w not in drop]
    return words[:MAX_WORDS]


def personal_words(names: Iterable[str]) -> set[str]:
    """Words of recipients' display names and mailbox local parts ("alice.smith" -> alice, smith)."""
    out: set[str] = set()
    for name in names:
        out.update(w for w in _NON_LETTER.sub(" ", name.lower()).split() if len(w) > 1)
    return out


def exact(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest() if normalised else ""


def _learn(words: list[str]) -> None:
    missing = {w for w in words if w not in _H1}
    if len(_H1) + len(missing) > _WORD_CACHE_LIMIT:
        _H1.clear()
        _H2.clear()
        _H3.clear()
        missing = set(words)
    for word in missing:
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=24).digest()
        _H1[word] = int.from_bytes(digest[:8], "little")
        _H2[word] = int.from_bytes(digest[8:16], "little")
        _H3[word] = int.from_bytes(digest[16:], "little")


def simhash(words: list[str]) -> int:
    """64-bit simhash over word 3-shingles, as a signed int (fits a BigIntegerField).

    The per-bit vote is counted in C: all shingle hashes are packed into one bytes object, and
    for each of the 64 bit positions ``bytes.translate`` + ``count`` sums how many hashes have
    that bit set, which is far faster than a Python loop over bits.
    """
    if not words:
        return 0
    if len(words) < 3:
        words = (words * 3)[:3]  # one shingle, so short texts still get a stable value
    _learn(words)
    first = list(map(_H1.__getitem__, words))
    second = list(map(_H2.__getitem__, words[1:]))
    third = list(map(_H3.__getitem__, words[2:]))
    shingles = list(map(xor, map(xor, first, second), third))
    total = len(shingles)
    packed = struct.pack(f"<{total}Q", *shingles)
    value = 0
    for byte_index in range(8):
        column = packed[byte_index::8]
        for bit in range(8):
            if 2 * column.translate(_BIT_TABLES[bit]).count(1) > total:
                value |= 1 << (byte_index * 8 + bit)
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    """Bits that differ between two simhashes (near duplicates differ in a few)."""
    return ((a ^ b) & _MASK64).bit_count()
