"""Receivers of remediation's signals (connected in ``apps.Config.ready``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from clawback.investigations.actions import do_open_admin_action, do_update_admin_action
from clawback.remediation.signals import remediation_changed, remediation_submitted


@receiver(remediation_submitted, dispatch_uid="investigations.admin_action_submitted")
def on_submitted(sender: Any, remediation_id: int, **kwargs: Any) -> None:
    do_open_admin_action(remediation_id)


@receiver(remediation_changed, dispatch_uid="investigations.admin_action_changed")
def on_changed(sender: Any, remediation_id: int, status: str, **kwargs: Any) -> None:
    do_update_admin_action(remediation_id)
