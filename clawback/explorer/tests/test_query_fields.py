"""FIELDS describes every field, and every field compiles to a query the database runs."""

from __future__ import annotations

import pytest

from clawback.explorer.query import FIELDS, FieldSpec, FieldType, search
from clawback.explorer.query.nodes import value_text

SAMPLES = {
    FieldType.TEXT: "x",
    FieldType.HEADER: "x",
    FieldType.INTEGER: "1",
    FieldType.NUMBER: "1.5",
    FieldType.SIZE: "1k",
    FieldType.DATE: "2026-11-20",
    FieldType.BOOL: "true",
}
NAMES = [name.replace("<name>", "x-mailer") for name in FIELDS]


def _sample(spec: FieldSpec) -> str:
    return spec.values[0] if spec.values else SAMPLES[spec.type]


def test_required_fields_exist() -> None:
    required = (
        "message_id subject received size direction sender.address sender.domain sender.name sender.ip "
        "mailfrom.address mailfrom.domain recipient.address recipient.domain mailbox url url.domain url.path "
        "url.count attachment.name attachment.ext attachment.type attachment.sha256 attachment.count auth.spf "
        "auth.dkim auth.dmarc auth.composite threat detection delivery.action location location.original folder "
        "header.<name> store cluster campaign fingerprint language spam.score parse_problem url.source reply_to id"
    )
    assert set(required.split()) <= set(FIELDS)


@pytest.mark.parametrize("spec", FIELDS.values(), ids=list(FIELDS))
def test_spec_is_described(spec: FieldSpec) -> None:
    assert spec.description
    assert "=" in spec.operators and "!=" in spec.operators
    assert bool(spec.values) == (spec.type in (FieldType.ENUM, FieldType.SET))


@pytest.mark.parametrize("name", NAMES)
def test_every_operator_of_every_field_runs(db: None, name: str) -> None:
    spec = FIELDS.get(name) or FIELDS["header.<name>"]
    value = value_text(_sample(spec))
    for op in spec.operators:
        query = f"{name} {op} ({value})" if op in ("in", "not in") else f"{name} {op} {value}"
        assert list(search(query)) == [], query
        assert list(search(f"not {query}")) == [], query


def test_enum_values_come_from_the_models() -> None:
    assert FIELDS["direction"].values == ("inbound", "outbound", "intra-org", "unknown")
    assert FIELDS["delivery.action"].values == ("delivered", "junked", "blocked", "replaced")
    assert "quarantine" in FIELDS["location"].values
    assert "high-confidence-phish" in FIELDS["threat"].values
