"""to_text gives canonical text that parses back to the same tree."""

from __future__ import annotations

import pytest

from clawback.explorer.query import All, And, Comparison, Not, Or, parse_query, to_text

QUERIES = [
    "",
    "subject = x",
    "Sender.Domain IN (evil.example,'bad.example',)",
    "sender.domain in (evil.example, bad.example) and url.domain = bit.ly and received >= -7d and not location = junk",
    "size > 10k or size < 1k and not threat = phish",
    "(size > 10k or size < 1k) and not threat = phish",
    "not (subject ~ invoice or subject ~ payment)",
    "not not subject = x",
    "subject = x and (sender.domain = a and sender.domain = b)",
    "subject = x or (sender.domain = a or sender.domain = b)",
    'subject = "it\'s \\"quoted\\"" or subject = \'a, b (c)\'',
    'header.x-mailer = "line one\\nline two\\ttab \\\\ backslash"',
    'subject = and or subject = "or" or subject = "not" or subject = "in"',
    'subject = ""',
    "message_id = <abc@id.example>",
    "url = http://x.example/?a=b&c=d",
    "url.path = /login.php and received >= 2026-11-20T08:00:00+01:00",
    "sender.domain not in (a, b)",
    "subject != x and subject !~ y",
    'subject = "=x" or subject = "<x"',
    'subject = caf\u00e9 and subject = "two\u00a0words"',
]


@pytest.mark.parametrize("query", QUERIES)
def test_round_trip(query: str) -> None:
    node = parse_query(query)
    text = to_text(node)
    assert parse_query(text) == node
    assert to_text(parse_query(text)) == text


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("", ""),
        ("  Sender.Domain   IN (a,'b c',)  ", 'sender.domain in (a, "b c")'),
        ("subject = x AND size > 1 OR NOT size < 2", "(subject = x and size > 1) or not size < 2"),
        ("subject = x and (size > 1 or size < 2)", "subject = x and (size > 1 or size < 2)"),
        ("size NOT IN (1)", "size not in (1)"),
        ("(((subject = x)))", "subject = x"),
        ("subject = 'a\"b'", 'subject = "a\\"b"'),
    ],
)
def test_canonical_text(query: str, canonical: str) -> None:
    assert to_text(parse_query(query)) == canonical


def test_tree_shape() -> None:
    assert parse_query("") == All()
    assert parse_query("size > 1 or size < 2 and not threat = spam") == Or(
        (
            Comparison.of("size", ">", ["1"]),
            And((Comparison.of("size", "<", ["2"]), Not(Comparison.of("threat", "=", ["spam"])))),
        )
    )


def test_hand_built_tree_renders() -> None:
    node = And((Comparison.of("sender.domain", "in", ["evil.example", "a b"]), Not(Comparison.of("size", ">", ["1m"]))))
    assert to_text(node) == 'sender.domain in (evil.example, "a b") and not size > 1m'
    assert parse_query(to_text(node)) == node
