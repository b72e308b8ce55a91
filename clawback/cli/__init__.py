"""The ``clawback`` command line.  Each sub-command parses input, calls one action, prints."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clawback.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    from clawback.cli import admin, demo, index, remediation, run, stores

    parser = argparse.ArgumentParser(prog="clawback", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, run, index, stores, admin, remediation):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "manage":
        _setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["clawback manage", *args_list[1:]])
        return 0
    _setup_django()
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler: Handler = args.handler
    try:
        return handler(args)
    except CommandError as exc:
        print(f"clawback {args.command}: {exc}", file=sys.stderr)
        return 2


class CommandError(Exception):
    """A user error: printed without a traceback, exit status 2."""


if __name__ == "__main__":
    sys.exit(main())
