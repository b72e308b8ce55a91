"""State changes of the index that front ends request."""

from __future__ import annotations

from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from clawback.audit.log import record
from clawback.mailstores.models import Mailbox, Store


def _enqueue(ids: list[int]) -> None:
    from clawback.mail.tasks import sync_mailbox_task

    for mailbox_id in ids:
        sync_mailbox_task.enqueue(mailbox_id)


def do_request_sync(store: Store, *, acting_user: AbstractBaseUser | str | None) -> int:
    """Queue one sync task per mailbox of the store (after commit); returns the count."""
    with transaction.atomic():
        ids = list(Mailbox.objects.filter(store=store).values_list("id", flat=True))
        record("store.sync.request", actor=acting_user, obj=store, data={"mailboxes": len(ids)})
        transaction.on_commit(partial(_enqueue, ids))
    return len(ids)
