"""``clawback remediate|approve|reject|undo`` and ``clawback remediation list|show|resume|...``."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from typing import Any

from clawback.cli import CommandError
from clawback.cli.common import cli_actor, get_user

ACTIONS = ["move-to-inbox", "move-to-junk", "move-to-deleted", "soft-delete", "hard-delete"]
HARD_DELETE_WARNING = "warning: hard delete purges the messages for good; it cannot be undone"


def register(sub: Any) -> None:
    rem = sub.add_parser("remediate", help="submit (or --propose) a remediation")
    rem.add_argument("--user", required=True, help="who submits (roles are checked)")
    rem.add_argument("--name", required=True, help="a unique name")
    rem.add_argument("--action", required=True, choices=ACTIONS)
    picked = rem.add_mutually_exclusive_group(required=True)
    picked.add_argument("--query", help="select every copy the query matches")
    picked.add_argument("--ids", help="hand-picked copy ids, comma-separated")
    rem.add_argument("--exclude", default="", help="with --query: copy ids to leave out, comma-separated")
    rem.add_argument("--propose", action="store_true", help="propose it for another person to approve")
    rem.add_argument("--severity", default="medium", choices=["low", "medium", "high"])
    rem.add_argument("--description", default="")
    rem.add_argument("--include-sender-copy", action="store_true", help="also the internal sender's Sent copy")
    rem.set_defaults(handler=run_remediate)

    for name, handler, text in (
        ("approve", run_approve, "approve a pending remediation (not your own)"),
        ("reject", run_reject, "reject a pending remediation (not your own)"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("id", help="remediation id or approval id")
        cmd.add_argument("--user", required=True)
        if name == "reject":
            cmd.add_argument("--reason", default="")
        cmd.set_defaults(handler=handler)

    undo = sub.add_parser("undo", help="put every message of a remediation back where it was")
    undo.add_argument("id", help="remediation id or approval id")
    undo.add_argument("--user", required=True)
    undo.add_argument("--name", required=True, help="a unique name for the undo remediation")
    undo.add_argument("--propose", action="store_true")
    undo.set_defaults(handler=run_undo)

    group = sub.add_parser("remediation", help="the Action center").add_subparsers(
        dest="remediation_command", required=True
    )
    lst = group.add_parser("list", help="list remediations, newest first")
    lst.add_argument("--status", help="only this status (e.g. pending_approval, completed)")
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(handler=run_list)
    show = group.add_parser("show", help="one remediation: details, counts, progress")
    show.add_argument("id", help="remediation id or approval id")
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(handler=run_show)
    log = group.add_parser("log", help="the per-message action log as CSV (up to 100,000 rows)")
    log.add_argument("id")
    log.set_defaults(handler=run_log)
    for name, handler, text in (
        ("resume", run_resume, "re-queue stalled work of running remediations"),
        ("expire", run_expire, "expire proposals pending for too long"),
        ("purge", run_purge, "purge soft-deleted mail past its retention period"),
    ):
        group.add_parser(name, help=text).set_defaults(handler=handler)


def _guard(work: Callable[[], int]) -> int:
    """Turn the actions' refusals into one-line CLI errors."""
    from django.core.exceptions import PermissionDenied

    from clawback.explorer.query import QueryError
    from clawback.remediation.actions import RemediationError
    from clawback.remediation.selection import SelectionError

    try:
        return work()
    except (PermissionDenied, RemediationError, SelectionError) as exc:
        raise CommandError(str(exc)) from None
    except QueryError as exc:
        raise CommandError(str(exc)) from None


def _ids(text: str, what: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise CommandError(f"{what} must be comma-separated copy ids, not {text!r}") from None


def _remediation(key: str) -> Any:
    from clawback.remediation import queries
    from clawback.remediation.models import Remediation

    try:
        return queries.get(key)
    except Remediation.DoesNotExist:
        raise CommandError(f"no remediation {key!r}") from None


def run_remediate(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_propose, do_submit
    from clawback.remediation.selection import Selection

    if args.exclude and args.query is None:
        raise CommandError("--exclude applies to --query")
    if args.query is not None:
        selection = Selection.of_query(args.query, _ids(args.exclude, "--exclude"))
    else:
        selection = Selection.picked(_ids(args.ids, "--ids"))
    if args.action == "hard-delete":
        print(HARD_DELETE_WARNING, file=sys.stderr)
    user = get_user(args.user)
    submit = do_propose if args.propose else do_submit

    def work() -> int:
        remediation = submit(
            acting_user=user,
            name=args.name,
            action=args.action,
            selection=selection,
            severity=args.severity,
            description=args.description,
            include_sender_copy=args.include_sender_copy,
            source="cli",
        )
        print(remediation.pk)
        _status_line(remediation)
        return 0

    return _guard(work)


def _status_line(remediation: Any) -> None:
    from clawback.remediation.queries import not_remediable

    text = (
        f"{remediation.approval_id} {remediation.name!r}: {remediation.get_status_display().lower()}, "
        f"{remediation.item_count} messages"
    )
    print(text, file=sys.stderr)
    for reason, count in not_remediable(remediation).items():
        print(f"  not remediable ({count}): {reason}", file=sys.stderr)


def run_approve(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_approve

    remediation, user = _remediation(args.id), get_user(args.user)

    def work() -> int:
        done = do_approve(remediation, acting_user=user)
        _status_line(done)
        return 0

    return _guard(work)


def run_reject(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_reject

    remediation, user = _remediation(args.id), get_user(args.user)

    def work() -> int:
        done = do_reject(remediation, acting_user=user, reason=args.reason)
        _status_line(done)
        return 0

    return _guard(work)


def run_undo(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_undo

    remediation, user = _remediation(args.id), get_user(args.user)

    def work() -> int:
        reverse = do_undo(remediation, name=args.name, acting_user=user, source="cli", propose=args.propose)
        print(reverse.pk)
        _status_line(reverse)
        return 0

    return _guard(work)


def run_list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from clawback.remediation.models import Remediation, Status

    if args.status and args.status not in Status.values:
        raise CommandError(f"unknown status {args.status!r}; one of {', '.join(Status.values)}")
    qs = Remediation.objects.all()
    if args.status:
        qs = qs.filter(status=args.status)
    table = Table("id", "approval id", "name", "action", "status", "messages", "submitted by", "decided by", "at")
    for r in qs[: args.limit]:
        table.add_row(
            str(r.pk),
            r.approval_id,
            r.name,
            r.action,
            r.status,
            str(r.item_count),
            r.submitted_by_name,
            r.decided_by_name,
            f"{r.submitted_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from clawback.remediation.queries import summary

    data = summary(_remediation(args.id))
    if args.format == "json":
        print(json.dumps(data, indent=2))
        return 0
    for key in ("id", "name", "approval_id", "status", "action", "severity", "source", "submitted_by"):
        print(f"{key:>16}: {data[key]}")
    for key in ("decided_by", "investigation_id", "started_at", "finished_at"):
        print(f"{key:>16}: {data[key] or '-'}")
    print(f"{'progress':>16}: {data['done']}/{data['total']} ({data['percent']}%), eta {data['eta_seconds']} s")
    for state, count in data["counts"].items():
        if count:
            print(f"{state:>24}: {count}")
    if not data["undoable"]:
        print("hard delete: cannot be undone")
    return 0


def run_log(args: argparse.Namespace) -> int:
    from clawback.remediation.queries import LOG_COLUMNS, action_log

    writer = csv.DictWriter(sys.stdout, fieldnames=LOG_COLUMNS)
    writer.writeheader()
    writer.writerows(action_log(_remediation(args.id)))
    return 0


def run_resume(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_resume

    print(f"re-queued {do_resume(acting_user=cli_actor())} stalled mailbox runs")
    return 0


def run_expire(args: argparse.Namespace) -> int:
    from clawback.remediation.actions import do_expire_proposals

    print(f"expired {do_expire_proposals()} proposals")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    from clawback.remediation.purge import purge_soft_deleted

    print(f"purged {purge_soft_deleted()} soft-deleted messages")
    return 0
