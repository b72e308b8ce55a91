"""Background work of remediation, on the ``remediation`` queue (tasks take ids, STYLE.md)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from clawback.remediation import executor, purge, scheduling


@task(queue_name="remediation")
def execute_mailbox(remediation_id: int, mailbox_id: int) -> dict[str, Any]:
    """One remediation's work in one mailbox (see ``executor``)."""
    return executor.run_mailbox(remediation_id, mailbox_id).as_dict()


@task(queue_name="remediation")
def watch_remediation(remediation_id: int) -> str:
    """The watchdog: re-queue stalled mailbox runs, finish the remediation when all are done."""
    return scheduling.tick(remediation_id)


@task(queue_name="remediation")
def expire_proposal(remediation_id: int) -> int:
    """Runs when a proposal's time is up; expires it (and any other overdue one)."""
    from clawback.remediation.actions import do_expire_proposals

    return do_expire_proposals()


@task(queue_name="remediation")
def purge_soft_deleted_task(remediation_id: int) -> int:
    """Purge what a soft delete moved to the recoverable folder, once retention has passed."""
    return purge.purge_soft_deleted(remediation_id=remediation_id)
