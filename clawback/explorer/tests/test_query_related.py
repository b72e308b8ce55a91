"""OR-ed URL and attachment conditions compile to one subquery (UNION ALL across the two
tables) outside a ``not``, and to one subquery each under it; either way the rows are those of
the conditions taken one by one.  Set members are written into the SQL, checked first."""

from __future__ import annotations

import pytest
from django.db.models import F

from clawback.explorer.query import search
from clawback.explorer.query.compiler import MemberOf

# ``index`` is test_query_rows' fixture: its 20 copies of known make-up.
from clawback.explorer.tests.test_query_rows import ALL, NOW, SHA_DOCM, SHA_PDF, found, index  # noqa: F401
from clawback.mail.models import MessageCopy

pytestmark = pytest.mark.django_db

PARTS = [
    ("url.domain = bit.ly", f"attachment.sha256 = {SHA_PDF}"),
    ("url.domain = bad.example", "url.domain = qr.example", "attachment.ext = docm"),
    ("url ~ login", f"attachment.sha256 = {SHA_DOCM}", "sender.domain = corp.example"),
    ("url.source = qr", "attachment.size > 100k", "threat = phish"),
]


@pytest.mark.parametrize("parts", PARTS, ids=[" or ".join(p) for p in PARTS])
def test_an_or_finds_what_its_parts_find(index: dict[int, str], parts: tuple[str, ...]) -> None:  # noqa: F811
    each = set().union(*(found(index, part) for part in parts))
    assert each  # the parts find something, so the check means something
    assert found(index, " or ".join(parts)) == each
    assert found(index, f"not ({' or '.join(parts)})") == ALL - each
    assert found(index, f"location = inbox and ({' or '.join(parts)})") == each & found(index, "location = inbox")


def test_one_union_outside_a_not_and_none_under_it() -> None:
    query = f"url.domain = bit.ly or url.domain = qr.example or attachment.sha256 = {SHA_PDF}"
    positive = str(search(query, now=NOW).query).upper()
    assert positive.count("UNION ALL") == 1
    assert positive.count('FROM "MAIL_COPYURL"') == 1  # both URL values in one subquery
    negative = str(search(f"not ({query})", now=NOW).query).upper()
    assert "UNION" not in negative
    assert negative.count('FROM "MAIL_COPYURL"') == 2


def test_set_members_are_written_into_the_sql() -> None:
    sql = str(search("threat = phish", now=NOW).query)
    assert "LIKE '%,phish,%'" in sql


@pytest.mark.parametrize("member", [",phish' OR 1=1 --,", ",x_y,", ",PHISH,"])
def test_only_vocabulary_members_reach_the_sql(db: None, member: str) -> None:
    with pytest.raises(ValueError, match="not a set member"):
        list(MessageCopy.objects.filter(MemberOf(F("threats"), member)))
