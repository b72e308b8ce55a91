"""Compact UID sets (RFC 3501 §9 sequence-set) used in sync state and commands."""

from __future__ import annotations

import pytest

from clawback.mailstores.connectors.imap.uidset import chunked, compress, expand


def test_compress_makes_ranges():
    assert compress([5, 1, 2, 3, 3, 9, 10, 42]) == "1:3,5,9:10,42"
    assert compress([]) == ""


def test_expand_round_trips():
    uids = [1, 2, 3, 7, 100, 101]
    assert expand(compress(uids)) == uids


def test_expand_keeps_written_order_for_copyuid():
    # COPYUID source and destination sets correspond element by element (RFC 4315 §3).
    assert expand("7,3:4") == [7, 3, 4]
    assert expand("4:3") == [3, 4]


@pytest.mark.parametrize("text", ["1:*", "a", "0", "1,,2", "-1"])
def test_expand_rejects_what_is_not_a_uid_set(text):
    with pytest.raises(ValueError):
        expand(text)


def test_chunked():
    assert [list(c) for c in chunked([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
