"""``clawback user``, ``clawback token``, ``clawback org``, ``clawback audit``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clawback.cli import CommandError
from clawback.cli.common import cli_actor, get_user, read_secret_file


def register(sub: Any) -> None:
    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="add a user to a role group")
    add.add_argument("name")
    add.add_argument("--group", action="append", required=True, help='role group, e.g. "Security Reader"')
    add.add_argument("--password-file", help="file holding the password (else: no password login)")
    add.add_argument("--email", default="")
    add.set_defaults(handler=user_add)
    lst = user.add_parser("list", help="list users and their role groups")
    lst.set_defaults(handler=user_list)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    tadd = token.add_parser("add", help="create an API token (printed once)")
    tadd.add_argument("user")
    tadd.add_argument("--name", required=True)
    tadd.set_defaults(handler=token_add)

    org = sub.add_parser("org", help="organisation settings").add_subparsers(dest="org_command", required=True)
    dom = org.add_parser("domains", help="set the organisation's domains (decides direction)")
    dom.add_argument("domains", nargs="+")
    dom.set_defaults(handler=org_domains)

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser("verify", help="check the hash chain; exit 1 if a row was changed or removed")
    verify.set_defaults(handler=audit_verify)
    export = audit.add_parser("export", help="print the audit log as JSON lines")
    export.set_defaults(handler=audit_export)


def user_add(args: argparse.Namespace) -> int:
    from clawback.accounts.actions import do_create_user

    password = read_secret_file(args.password_file) if args.password_file else None
    try:
        user = do_create_user(
            args.name, groups=args.group, password=password, email=args.email, acting_user=cli_actor()
        )
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    print(f"user {user.username} added to {', '.join(args.group)}")
    return 0


def user_list(args: argparse.Namespace) -> int:
    from django.contrib.auth.models import User

    for user in User.objects.order_by("username").prefetch_related("groups"):
        groups = ", ".join(g.name for g in user.groups.all())
        print(f"{user.username}\t{groups}\t{'active' if user.is_active else 'disabled'}")
    return 0


def token_add(args: argparse.Namespace) -> int:
    from clawback.accounts.actions import do_create_token

    _, secret = do_create_token(get_user(args.user), args.name, acting_user=cli_actor())
    print(secret)
    return 0


def org_domains(args: argparse.Namespace) -> int:
    from clawback.accounts.actions import do_set_org_domains

    org = do_set_org_domains(args.domains, acting_user=cli_actor())
    print("organisation domains: " + ", ".join(org.domains))
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    from clawback.audit.log import verify

    result = verify()
    for problem in result.problems:
        print(problem, file=sys.stderr)
    print(f"{result.checked} rows checked: {'chain intact' if result.ok else 'TAMPERING DETECTED'}")
    return 0 if result.ok else 1


def audit_export(args: argparse.Namespace) -> int:
    from clawback.audit.models import AuditEvent

    for event in AuditEvent.objects.order_by("id").iterator(2000):
        row = {
            "id": event.pk,
            "at": event.at.isoformat(),
            "actor": event.actor_name,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "request_id": event.request_id,
            "data": event.data,
            "digest": event.digest,
        }
        print(json.dumps(row, ensure_ascii=False))
    return 0


__all__ = ["CommandError"]
