"""``clawback demo``: a demo organisation on the embedded default (SQLite + Maildir)."""

from __future__ import annotations

import argparse
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from clawback.cli.common import cli_actor

DEMO_DOMAIN = "example.test"
DEMO_USERS = {
    "admin": "Global Administrator",
    "analyst": "Data Investigator",
    "operator": "Security Operator",
    "reader": "Security Reader",
}


def register(sub: Any) -> None:
    demo = sub.add_parser("demo", help="create a demo organisation with generated mail (idempotent)")
    demo.add_argument("--mailboxes", type=int, default=100)
    demo.add_argument("--per-mailbox", type=int, default=200)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--path", help="Maildir root (default: $CLAWBACK_HOME/demo-maildir)")
    demo.set_defaults(handler=run_demo)


def _users(credentials: Path) -> dict[str, str]:
    """Create the demo users once; their passwords live in a 0600 file next to the database."""
    from django.contrib.auth.models import User

    from clawback.accounts.actions import do_create_user

    if credentials.exists():
        return dict(line.split(" ", 1) for line in credentials.read_text().splitlines() if " " in line)
    passwords = {name: secrets.token_urlsafe(9) for name in DEMO_USERS}
    for name, group in DEMO_USERS.items():
        if not User.objects.filter(username=name).exists():
            do_create_user(name, groups=[group], password=passwords[name], acting_user=cli_actor())
    credentials.write_text("".join(f"{n} {p}\n" for n, p in passwords.items()))
    credentials.chmod(0o600)
    return passwords


def run_demo(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    from clawback.accounts.actions import do_set_org_domains
    from clawback.demo.deliver import deliver_maildir
    from clawback.demo.generator import generate, mailboxes
    from clawback.mail.runner import sync_with_progress
    from clawback.mailstores.actions import do_add_store
    from clawback.mailstores.models import Store

    call_command("migrate", interactive=False, verbosity=0)
    root = Path(args.path or settings.HOME / "demo-maildir").resolve()
    store = Store.objects.filter(name="demo").first()
    if store is None:
        do_set_org_domains([DEMO_DOMAIN], acting_user=cli_actor())
        addresses = mailboxes(args.mailboxes, DEMO_DOMAIN)
        started = time.monotonic()
        count = deliver_maildir(root, generate(addresses, args.per_mailbox, seed=args.seed, org_domain=DEMO_DOMAIN))
        seconds = time.monotonic() - started
        print(f"generated {count} messages into {len(addresses)} mailboxes under {root} ({seconds:.1f} s)")
        store = do_add_store(
            "demo", "maildir", params={"path": str(root)}, mailboxes=addresses, acting_user=cli_actor()
        )
    sync_with_progress([store])
    passwords = _users(settings.HOME / "demo-credentials.txt")
    print("\nClawback demo is ready.  Log in at http://127.0.0.1:8000/ as:")
    for name, group in DEMO_USERS.items():
        print(f"  {name:<9} {passwords.get(name, '?'):<14} ({group})")
    return 0
