"""Background work of the index: one task per mailbox (tasks take ids, STYLE.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tasks import task

from clawback.mail.sync import sync_mailbox

# Transient failures (server restarting, network blip) are retried with a growing delay;
# permanent ones (bad password, unknown user) are recorded on the mailbox and not retried.
RETRY_DELAYS = (10, 60, 300)


@task(queue_name="sync")
def sync_mailbox_task(mailbox_id: int, attempt: int = 0) -> dict[str, Any]:
    report = sync_mailbox(mailbox_id)
    if report.error and not report.permanent and attempt < len(RETRY_DELAYS):
        run_after = timezone.now() + timedelta(seconds=RETRY_DELAYS[attempt])
        sync_mailbox_task.using(run_after=run_after).enqueue(mailbox_id, attempt + 1)
    return report.as_dict()
