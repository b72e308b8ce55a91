"""The audit log is hash-chained: editing or deleting any row is detected."""

from __future__ import annotations

import pytest

from clawback.audit.log import record, verify
from clawback.audit.models import AuditEvent, ChainHead

pytestmark = pytest.mark.django_db


@pytest.fixture
def events() -> list[AuditEvent]:
    return [record(f"test.event{i}", actor="tester", data={"n": i}) for i in range(5)]


def test_intact_chain_verifies(events: list[AuditEvent]) -> None:
    result = verify()
    assert result.ok, result.problems
    assert result.checked == 5
    assert events[1].prev_digest == events[0].digest


def test_changed_row_is_detected(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=events[2].pk).update(data={"n": 99})
    result = verify()
    assert not result.ok
    assert any(f"row {events[2].pk}" in p and "content" in p for p in result.problems)


def test_changed_actor_is_detected(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=events[0].pk).update(actor_name="someone-else")
    assert not verify().ok


def test_deleted_middle_row_is_detected(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    result = verify()
    assert not result.ok
    assert any("chain broken" in p for p in result.problems)


def test_deleted_last_row_is_detected(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    result = verify()
    assert not result.ok
    assert any("chain head" in p or "newest row" in p for p in result.problems)


def test_recomputed_row_still_breaks_the_link(events: list[AuditEvent]) -> None:
    """A forger who rewrites a row *and* its digest still breaks the next row's link."""
    from clawback.audit.log import _digest, _fields

    forged = AuditEvent.objects.get(pk=events[1].pk)
    forged.data = {"n": 1000}
    forged.digest = _digest(forged.prev_digest, _fields(forged))
    forged.save()
    result = verify()
    assert not result.ok
    assert any(f"row {events[2].pk}" in p for p in result.problems)


def test_secrets_are_censored() -> None:
    event = record("store.add", actor="tester", data={"host": "h", "password": "hunter2", "nested": {"token": "t"}})
    assert event.data["password"] == "********"
    assert event.data["nested"]["token"] == "********"
    assert "hunter2" not in str(AuditEvent.objects.get(pk=event.pk).data)


def test_actor_name_survives_user_deletion(alice) -> None:
    event = record("test.by_alice", actor=alice)
    alice.delete()
    event.refresh_from_db()
    assert event.actor is None
    assert event.actor_name == "alice"
    assert ChainHead.objects.get(pk=1).digest == AuditEvent.objects.order_by("-id").first().digest
