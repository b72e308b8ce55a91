from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.contrib.auth.models import User

from clawback.cli import CommandError


def cli_actor() -> str:
    """Who acts from a shell: the OS account, so audit rows say who ran the command."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = str(os.getuid())
    return f"cli:{name}"


def read_secret_file(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None


def get_user(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist:
        raise CommandError(f"no user {username!r}") from None
