"""``clawback serve`` and ``clawback worker``."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the web UI and API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="web worker processes")
    serve.set_defaults(handler=run_serve)

    worker = sub.add_parser("worker", help="run background tasks (sync, remediation); run several, on several hosts")
    worker.add_argument("--queues", default="*", help="comma-separated queue names, * for all (default)")
    worker.add_argument("--burst", action="store_true", help="work until the queue is empty, then exit")
    worker.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
    worker.add_argument("--max-tasks", type=int, default=None)
    worker.set_defaults(handler=run_worker)


def run_serve(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    argv = [
        str(gunicorn),
        "clawback.wsgi:application",
        f"--bind={args.host}:{args.port}",
        f"--workers={args.workers}",
        "--access-logfile=-",
        "--forwarded-allow-ips=127.0.0.1",
    ]
    os.execv(argv[0], argv)  # noqa: S606 - replace this process with gunicorn
    return 0  # not reached


def run_worker(args: argparse.Namespace) -> int:
    from django.db import connections
    from django_tasks_db.management.commands.db_worker import Worker

    # A worker keeps its database connection between tasks (the worker loop closes it after
    # every task when CONN_MAX_AGE is 0).  On SQLite, closing the last connection also
    # checkpoints and deletes the WAL: ~15 ms per task, more than a small mailbox's work.
    for alias in connections:
        connections[alias].settings_dict["CONN_MAX_AGE"] = None

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    worker = Worker(
        queue_names=queues,
        interval=args.interval,
        batch=args.burst,
        backend_name="default",
        startup_delay=not args.burst,
        max_tasks=args.max_tasks,
        worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64],
        excluded_queue_names=[],
    )
    # SIGTERM/SIGINT: finish the current task, then exit (django-tasks-db's worker handles it).
    worker.configure_signals()
    worker.run()
    return 0
