"""Remediations over factory-made index rows, for page and API tests that need no mail store.

Nothing runs them (no worker is started and non-transactional tests never commit), so they stay
where the action left them: pending approval, or queued.
"""

from __future__ import annotations

import itertools
from typing import Any

from clawback.remediation.actions import do_propose, do_submit
from clawback.remediation.models import AUTOMATION, Remediation
from clawback.remediation.policy import Actor
from clawback.remediation.selection import Selection
from clawback.web.tests.factories import make_copy

_seq = itertools.count(1)


def make_remediation(
    acting_user: Actor = AUTOMATION,
    *,
    name: str | None = None,
    action: str = "move-to-junk",
    copies: int = 1,
    propose: bool = True,
    **fields: Any,
) -> Remediation:
    """A proposal (or, with ``propose=False``, a submission) of ``copies`` fresh inbox copies.
    The automation proposes by default, so any person with Search and Purge may decide it."""
    ids = [make_copy(subject=f"Invoice {next(_seq)}").pk for _ in range(copies)]
    submit = do_propose if propose else do_submit
    return submit(
        acting_user=acting_user,
        name=name or f"remediation {next(_seq)}",
        action=action,
        selection=Selection.picked(ids),
        **fields,
    )
