"""Signals remediation sends, after commit, for higher layers (investigations, webhooks).

Receivers get ``remediation_id`` (and ``status``); they must not assume they run inside the
transaction that changed the remediation: it has committed.
"""

from __future__ import annotations

from django.dispatch import Signal

# A remediation was submitted or proposed (every manual one raises an admin-action
# investigation, SPEC §4).  kwargs: remediation_id.
remediation_submitted = Signal()

# A remediation changed status (approved, rejected, expired, duplicate, finished).
# kwargs: remediation_id, status.
remediation_changed = Signal()
