"""Locate finds copies by Message-ID in every folder."""

from __future__ import annotations

import pytest

from clawback.lib.testing.dovecot import sample_message

pytestmark = pytest.mark.dovecot


def test_locate_finds_every_copy_and_only_exact_ids(connector, user, deliver):
    wanted = sample_message(1, to=user, message_id="<1@campaign.example>")
    other = sample_message(2, to=user, message_id="<2@campaign.example>")
    similar = sample_message(3, to=user, message_id="<11@campaign.example>")
    deliver(user, "INBOX", [wanted, similar])
    deliver(user, "Archive", [wanted])
    deliver(user, "Junk", [other])
    refs = {(r.folder, r.key): r for r in connector.sync(user, {}).added}

    found = connector.locate(user, ["<1@campaign.example>", "2@campaign.example", "<absent@example>"])

    assert sorted(r.folder for r in found["<1@campaign.example>"]) == ["Archive", "INBOX"]
    assert [r.folder for r in found["2@campaign.example"]] == ["Junk"]
    assert found["<absent@example>"] == []
    assert all((r.folder, r.key) in refs for hits in found.values() for r in hits)


def test_locate_many_ids(connector, user, deliver):
    messages = [sample_message(i, to=user, message_id=f"<bulk-{i}@example>") for i in range(45)]
    deliver(user, "INBOX", messages)

    found = connector.locate(user, [f"<bulk-{i}@example>" for i in range(0, 45, 2)])

    assert all(len(hits) == 1 for hits in found.values())
    assert len(found) == 23
