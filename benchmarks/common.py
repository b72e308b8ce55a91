"""Shared helpers of the benchmarks: machine description, Dovecot loading, timing."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Dovecot {dovecot}; load average {load} at start"
    )


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    elapsed.append(time.perf_counter() - started)


@dataclass(frozen=True)
class ImapAddress:
    """What a child process needs to log in (a DovecotServer itself cannot be pickled)."""

    host: str
    port: int
    master_user: str
    master_password: str

    def client(self, user: str, *, as_master: bool = True) -> Any:
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=60)
        client.login(f"{user}*{self.master_user}", self.master_password)
        return client


def address_of(server: Any) -> ImapAddress:
    return ImapAddress(server.host, server.imap_port, server.master_user, server.master_password)


def load_dovecot(server: Any, mailboxes: list[str], per_mailbox: int, seed: int, processes: int = 2) -> int:
    """Deliver generated demo mail into the server's mailboxes (IMAP MULTIAPPEND, in processes)."""
    slices = [mailboxes[i::processes] for i in range(processes)]
    address = address_of(server)
    with ProcessPoolExecutor(processes) as pool:
        futures = [pool.submit(_load_slice, address, part, per_mailbox, seed + n) for n, part in enumerate(slices)]
        return sum(f.result() for f in futures)


FOLDERS = {"inbox": "INBOX", "junk": "Junk", "deleted": "Trash", "sent": "Sent", "other": "Archive"}


def _load_slice(server: ImapAddress, mailboxes: list[str], per_mailbox: int, seed: int) -> int:
    from clawback.demo.generator import generate
    from clawback.lib.testing.dovecot import append_messages

    count = 0
    for mailbox in mailboxes:
        by_folder: dict[tuple[str, tuple[str, ...]], list[bytes]] = {}
        for msg in generate([mailbox], per_mailbox, seed=seed, org_domain="example.test"):
            by_folder.setdefault((FOLDERS[msg.folder_class], msg.flags), []).append(msg.raw)
        for (folder, flags), raws in by_folder.items():
            append_messages(server, mailbox, folder, raws, flags=flags)  # type: ignore[arg-type]
            count += len(raws)
    return count


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout + proc.stderr
