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
# is what simhash needs, and costs a dict look-up per word and two XORs instead of a digest per
# shingle.  The table is shared across messages (campaigns and languages reuse words).  A word's
# three hashes are kept together as one 24-byte value (h1, h2, h3, each 8 little-endian bytes):
# one look-up per word, and a text's shingles are XORed as three big integers (each read from
# the joined values with a stride) rather than one Python XOR per shingle.
_HASHES: dict[str, bytes] = {}
_WORD_CACHE_LIMIT = 200_000


def normalise(text: str, personal: Iterable[str] = ()) -> list[str]:
    """Lower-case words only.  Tokens holding a URL or an address are dropped whole (string
    searches are several times cheaper than regex substitutions), then everything that is not a
    letter; ``personal`` words (the recipients' names) go last."""
    joined = text.lower()
    if "://" in joined or "www." in joined or "@" in joined:
        # Tokens end at white space: one space between them, so that they can be cut out.
        joined = _drop_link_tokens(" ".join(joined.split()))
    # (Without that, white space needs no normalising: both ways below split the words at it.)
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
    missing = set(words).difference(_HASHES)
    if len(_HASHES) + len(missing) > _WORD_CACHE_LIMIT:
        _HASHES.clear()
        missing = set(words)
    for word in missing:
        _HASHES[word] = hashlib.blake2b(word.encode("utf-8"), digest_size=24).digest()


def simhash(words: list[str]) -> int:
    """64-bit simhash over word 3-shingles, as a signed int (fits a BigIntegerField).

    The shingle hashes are XORed as three big integers, and the per-bit vote is counted on
    that one integer (see ``_votes``): no Python work per shingle.
    """
    if not words:
        return 0
    if len(words) < 3:
        words = (words * 3)[:3]  # one shingle, so short texts still get a stable value
    try:
        packed = _shingles(words)
    except KeyError:  # a word not seen yet (most messages of a mailbox repeat known words)
        _learn(words)
        packed = _shingles(words)
    value = _votes(packed, len(words) - 2)
    return value - (1 << 64) if value >= 1 << 63 else value


def _shingles(words: list[str]) -> int:
    """The hashes of the word 3-shingles, shingle i's at bits 64i..64i+63.  Raises KeyError for
    a word that :func:`_learn` has not hashed."""
    total = len(words) - 2
    # 64-bit lanes: word i's h1, h2, h3 at 3i, 3i+1, 3i+2.
    lanes = memoryview(b"".join(map(_HASHES.__getitem__, words))).cast("Q")
    first = int.from_bytes(lanes[0 : 3 * total : 3].tobytes(), "little")  # h1 of words 0 .. total-1
    second = int.from_bytes(lanes[4 : 3 * total + 2 : 3].tobytes(), "little")  # h2 of words 1 .. total
    third = int.from_bytes(lanes[8 : 3 * total + 6 : 3].tobytes(), "little")  # h3 of words 2 .. total+1
    return first ^ second ^ third


def _votes(packed: int, total: int) -> int:
    """The 64-bit word whose bit b is set when more than half of the ``total`` 64-bit words of
    ``packed`` (word i at bits 64i..64i+63) have bit b set.

    Bit-sliced counting: the 64 counters are kept as binary numbers spread over bit planes
    (plane j holds bit j of every counter), and halving the words while adding the two halves
    with a ripple-carry adder on whole planes sums all of them in log2(total) rounds of big-
    integer operations.  Each round works on half as many words, so the cost is a few passes
    over the data plus O(log² total) small operations, instead of Python work per word.
    """
    planes = [packed]
    words = total
    while words > 1:
        half = (words + 1) // 2
        shift = 64 * half
        low = (1 << shift) - 1
        # Add the words [half, words) to the words [0, half), plane by plane.
        summed = []
        carry = 0
        for plane in planes:
            a, b = plane & low, plane >> shift
            either = a ^ b
            summed.append(either ^ carry)
            carry = (a & b) | (carry & either)
        summed.append(carry)
        planes, words = summed, half
    return _at_least(planes, total // 2 + 1)


def _at_least(planes: list[int], threshold: int) -> int:
    """Bits whose counter (bit j of it in ``planes[j]``) is at least ``threshold``: compared
    from the most significant plane down, as a word of "greater" and one of "equal so far"."""
    if threshold >> len(planes):
        return 0
    greater, equal = 0, _MASK64
    for j in range(len(planes) - 1, -1, -1):
        if threshold >> j & 1:
            equal &= planes[j]
        else:
            greater |= equal & planes[j]
            equal &= ~planes[j]
    return (greater | equal) & _MASK64


def hamming(a: int, b: int) -> int:
    """Bits that differ between two simhashes (near duplicates differ in a few)."""
    return ((a ^ b) & _MASK64).bit_count()
