"""A private, throw-away Dovecot 2.3 on loopback for tests and benchmarks.

A Python port of the team's ``dovecot-up.sh`` recipe: its own configuration, passwd-file users
(``user0001@example.test`` … with password ``pass``), a master user (``user0001@example.test*admin``
with ``adminpass`` logs in to any mailbox), Maildir storage with ``LAYOUT=fs``, special-use
Drafts/Sent/Junk/Trash/Archive (RFC 6154), a ``Recoverable Items`` folder, optional lazy_expunge,
ManageSieve and LMTP.  Nothing listens off loopback and nothing touches ``/etc/dovecot``.

Needs the Debian packages ``dovecot-imapd dovecot-lmtpd dovecot-managesieved dovecot-sieve``.
Runs as root (mail owned by a ``vmail`` system user, created if missing) or as any other user
(everything runs as that user, no chroot).

    with DovecotServer(nusers=10) as server:
        IMAPClient(server.host, server.imap_port, ssl=False).login(
            f"{server.users[0]}*{server.master_user}", server.master_password)
"""

from __future__ import annotations

import atexit
import contextlib
import grp
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

HOST = "127.0.0.1"
MULTIAPPEND_CHUNK = 100  # messages per APPEND command (RFC 3502), as in the recipe
_MAIL_LOCATIONS = {
    "maildir": "maildir:~/Maildir:LAYOUT=fs",
    "sdbox": "sdbox:~/sdbox",
    "mdbox": "mdbox:~/mdbox",
}
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([0-9:,]+)\]")


class DovecotError(RuntimeError):
    """Raised when Dovecot is missing, fails to start, or a doveadm command fails."""


def free_ports(count: int) -> list[int]:
    """Ask the kernel for ``count`` distinct free loopback TCP ports (bind to port 0)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class DovecotServer:
    """One private Dovecot instance; :meth:`start` it, :meth:`stop` it (or use ``with``)."""

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        nusers: int = 200,
        user_prefix: str = "user",
        domain: str = "example.test",
        user_password: str = "pass",  # noqa: S107 - a throw-away test server
        master_user: str = "admin",
        master_password: str = "adminpass",  # noqa: S107
        lazy_expunge: bool = False,
        trash_name: str = "Trash",
        recoverable_name: str = "Recoverable Items",
        mail_format: str = "maildir",
        fsync: str = "never",
        submission_host: str | None = None,
        auth_penalty: bool = False,
        imap_port: int | None = None,
        sieve_port: int | None = None,
        lmtp_port: int | None = None,
        keep_data: bool = False,
    ) -> None:
        if data_dir is None:
            # Not pytest's tmp_path: that is 0700 and the dovecot/vmail users must read it.
            data_dir = tempfile.mkdtemp(prefix="clawback-dovecot-", dir="/tmp")
            self._owns_dir = not keep_data
        else:
            self._owns_dir = False
        self.data_dir = Path(data_dir).resolve()
        self.host = HOST
        picked = iter(free_ports(3))
        self.imap_port = imap_port or next(picked)
        self.sieve_port = sieve_port or next(picked)
        self.lmtp_port = lmtp_port or next(picked)
        self.nusers = nusers
        self.domain = domain
        self.user_password = user_password
        self.master_user = master_user
        self.master_password = master_password
        self.lazy_expunge = lazy_expunge
        self.trash_name = trash_name
        self.recoverable_name = recoverable_name
        if mail_format not in _MAIL_LOCATIONS:
            raise ValueError(f"mail_format must be one of {', '.join(_MAIL_LOCATIONS)}")
        self.mail_format = mail_format
        self.fsync = fsync  # "never" by default: a test fixture, speed over durability
        self.submission_host = submission_host  # SMTP sink for Sieve redirect/vacation
        # Dovecot delays every failed login by 2 s and then penalises the client IP (4, 8, 15 s
        # for every later login from it, good or bad).  Off by default so that tests of refused
        # logins do not slow down every test after them; True gives Dovecot's defaults.
        self.auth_penalty = auth_penalty
        self.users = [f"{user_prefix}{i:04d}@{domain}" for i in range(1, nusers + 1)]
        self.pid: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # --- paths --------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.data_dir / "etc" / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "log" / "dovecot.log"

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 15.0) -> DovecotServer:
        """Write the configuration and start Dovecot; return once IMAP greets ``* OK``.

        Raises :class:`DovecotError` if Dovecot is not installed, the data directory is not
        reachable by Dovecot's users, or the server does not come up within ``timeout``.
        """
        if self.running:
            raise DovecotError(f"already running: pid {self.pid}")
        if shutil.which("dovecot") is None:
            raise DovecotError(
                "dovecot not installed: apt-get install dovecot-imapd dovecot-managesieved dovecot-sieve dovecot-lmtpd"
            )
        self._write_config()
        startup_log = open(self.data_dir / "log" / "startup.log", "ab")  # noqa: SIM115
        with startup_log:
            # -F keeps the master in the foreground as our child, so stop() can wait() on it
            # and no zombie is left; stdio is detached because the daemon would otherwise
            # inherit the caller's stdout and a capturing caller would never see EOF.
            self._process = subprocess.Popen(
                ["dovecot", "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=startup_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._process.pid
        # A crashed or interrupted test run must not leave a daemon (or its /tmp data) behind.
        atexit.register(self.cleanup)
        self._wait_ready(timeout)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop Dovecot and every process it started; wait until the IMAP port is closed.

        The master gets SIGTERM.  Dovecot 2.3 then exits but leaves the ``imap`` processes of
        still-connected clients (and ``log``/``stats``) running, ``shutdown_clients`` or not,
        so the whole process group is terminated too (SIGKILL after ``timeout``).
        """
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout)
            # start_new_session made the master the leader of its own process group.
            _end_process_group(process.pid, timeout)
            process.wait()
            self._wait_port_closed(timeout)
        self.pid = None
        atexit.unregister(self.cleanup)

    def restart(self) -> None:
        """Stop and start again on the same ports and data (mail and indexes survive)."""
        self.stop()
        self.start()

    def cleanup(self) -> None:
        """Stop, and remove the data directory if this object created it."""
        self.stop()
        if self._owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> DovecotServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # --- helpers ------------------------------------------------------------------------
    def doveadm(self, *args: str) -> str:
        """Run ``doveadm -c <our config> ARGS`` and return its stdout.

        Raises :class:`DovecotError` with doveadm's stderr when it exits non-zero.
        """
        result = subprocess.run(
            ["doveadm", "-c", str(self.config_path), *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def master_login(self, user: str) -> str:
        """The login name that opens ``user``'s mailbox as the master user."""
        return f"{user}*{self.master_user}"

    def client(self, user: str, *, as_master: bool = False, timeout: float = 30.0) -> IMAPClient:
        """A logged-in IMAPClient for ``user`` (with the user's own password by default)."""
        client = IMAPClient(self.host, self.imap_port, ssl=False, timeout=timeout)
        if as_master:
            client.login(self.master_login(user), self.master_password)
        else:
            client.login(user, self.user_password)
        return client

    def __repr__(self) -> str:
        return f"<DovecotServer {self.host}:{self.imap_port} pid={self.pid} dir={self.data_dir}>"

    # --- internals ----------------------------------------------------------------------
    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise DovecotError(f"dovecot exited at start:\n{self._logs()}")
            if _greets(self.host, self.imap_port):
                return
            time.sleep(0.05)
        self.stop()
        raise DovecotError(f"dovecot did not greet on port {self.imap_port}:\n{self._logs()}")

    def _wait_port_closed(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.imap_port), timeout=0.5).close()
            except OSError:
                return
            time.sleep(0.05)

    def _logs(self) -> str:
        parts = []
        for name in ("startup.log", "dovecot.log"):
            path = self.data_dir / "log" / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def _write_config(self) -> None:
        d = self.data_dir
        for sub in ("etc", "run", "state", "log", "mail"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)
        ids = _identities()
        shutil.chown(d / "mail", ids.mail_user, ids.mail_group)

        users = d / "etc" / "users"
        masters = d / "etc" / "master-users"
        users.write_text("".join(f"{u}:{{PLAIN}}{self.user_password}::::::\n" for u in self.users))
        masters.write_text(f"{self.master_user}:{{PLAIN}}{self.master_password}::::::\n")
        for path in (users, masters):
            shutil.chown(path, group=ids.internal_group)
            path.chmod(0o640)
        if os.geteuid() == 0:
            _check_reachable(ids.internal_user, users, write=False)
            _check_reachable(ids.mail_user, d / "mail", write=True)
        self.config_path.write_text(self._config_text(ids))

    def _config_text(self, ids: _Identities) -> str:
        d = self.data_dir
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if nofile == resource.RLIM_INFINITY:
            nofile = 65536
        process_limit = 512 if nofile > 8192 else 100
        client_limit = 4096 if nofile > 8192 else nofile // 2
        mail_plugins = "$mail_plugins lazy_expunge" if self.lazy_expunge else "$mail_plugins"
        lazy_block = (
            f"  lazy_expunge = {self.recoverable_name}\n  lazy_expunge_only_last_instance = yes\n"
            if self.lazy_expunge
            else ""
        )
        chroot = "" if ids.chroot else "chroot ="
        return _CONFIG.format(
            d=d,
            instance=f"dovecot-test-{d.name}",
            domain=self.domain,
            internal_user=ids.internal_user,
            internal_group=ids.internal_group,
            login_user=ids.login_user,
            process_limit=process_limit,
            client_limit=client_limit,
            mail_user=ids.mail_user,
            mail_group=ids.mail_group,
            mail_plugins=mail_plugins,
            trash=self.trash_name,
            recoverable=self.recoverable_name,
            imap_port=self.imap_port,
            sieve_port=self.sieve_port,
            lmtp_port=self.lmtp_port,
            chroot=chroot,
            lazy_block=lazy_block,
            mail_location=_MAIL_LOCATIONS[self.mail_format],
            fsync=self.fsync,
            auth_failure_delay="2 secs" if self.auth_penalty else "0",
            anvil_penalty="" if self.auth_penalty else _NO_PENALTY,
            submission=f"submission_host = {self.submission_host}" if self.submission_host else "",
        )


@dataclass(frozen=True)
class _Identities:
    """Which system users Dovecot runs as: privilege separation as root, else the caller."""

    mail_user: str
    internal_user: str
    internal_group: str
    login_user: str
    chroot: bool

    @property
    def mail_group(self) -> str:
        return grp.getgrgid(pwd.getpwnam(self.mail_user).pw_gid).gr_name


def _identities() -> _Identities:
    if os.geteuid() == 0:
        # Root: classic privilege separation; all virtual users share one uid (vmail).
        # dovecot/dovenull come with the Debian package.
        try:
            pwd.getpwnam("vmail")
        except KeyError:
            subprocess.run(
                [
                    *("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent"),
                    *("--shell", "/usr/sbin/nologin", "vmail"),
                ],
                check=True,
                capture_output=True,
            )
        return _Identities("vmail", "dovecot", "dovecot", "dovenull", chroot=True)
    # Non-root: everything runs as the invoking user, no chroot for login processes.
    me = pwd.getpwuid(os.geteuid()).pw_name
    return _Identities(me, me, grp.getgrgid(os.getegid()).gr_name, me, chroot=False)


def _check_reachable(user: str, path: Path, *, write: bool) -> None:
    """Fail early with a clear message when a 0700 parent hides ``path`` from ``user``."""
    test = ["runuser", "-u", user, "--", "test", "-w" if write else "-r", str(path)]
    if subprocess.run(test, check=False, capture_output=True).returncode != 0:
        raise DovecotError(
            f"{path} is not {'writable' if write else 'readable'} by {user} (a parent directory "
            "is 0700?): use a world-traversable parent such as /tmp"
        )


def _end_process_group(pgid: int, timeout: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _group_alive(pgid):
                return
            time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """Whether a live (non-zombie) process is left in process group ``pgid`` (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # exited meanwhile
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            return True
    return False


def _greets(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(100).startswith(b"* OK")
    except OSError:
        return False


def sample_message(
    n: int,
    *,
    to: str = "user0001@example.test",
    sender: str = "sender@example.org",
    subject: str | None = None,
    body: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """A small, valid RFC 5322 message with a unique Message-ID (CRLF line ends)."""
    message_id = message_id or f"<msg-{n}-{uuid.uuid4().hex[:12]}@example.org>"
    lines = [
        f"From: Sender <{sender}>",
        f"To: <{to}>",
        f"Subject: {subject or f'Test message {n}'}",
        "Date: Mon, 02 Jun 2025 10:00:00 +0000",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body or f"Body of message {n}.",
        "",
    ]
    return "\r\n".join(lines).encode()


def append_messages(
    server: DovecotServer,
    user: str,
    folder: str,
    raws: Iterable[bytes],
    flags: Sequence[str] = (),
) -> list[int]:
    """Append ``raws`` to ``user``'s ``folder`` as the master user; return the new UIDs.

    Uses IMAP MULTIAPPEND (RFC 3502), 100 messages per command (~20x faster than LMTP), and
    reads the UIDs from APPENDUID (RFC 4315 §3).  Creates ``folder`` if it does not exist.
    """
    uids: list[int] = []
    client = server.client(user, as_master=True)
    try:
        if not client.folder_exists(folder):
            client.create_folder(folder)
        batch: list[dict[str, object]] = []
        for raw in raws:
            batch.append({"msg": raw, "flags": tuple(flags)})
            if len(batch) == MULTIAPPEND_CHUNK:
                uids += _multiappend(client, folder, batch)
                batch = []
        if batch:
            uids += _multiappend(client, folder, batch)
    finally:
        with contextlib.suppress(Exception):
            client.logout()
    return uids


def _multiappend(client: IMAPClient, folder: str, batch: list[dict[str, object]]) -> list[int]:
    typ, data = client.multiappend(folder, batch)
    if typ != "OK":
        raise DovecotError(f"APPEND to {folder} failed: {data!r}")
    match = _APPENDUID.search(data[0] or b"")
    if match is None:
        return []
    uids: list[int] = []
    for part in match.group(2).decode().split(","):
        low, _, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids


_NO_PENALTY = """\
  unix_listener anvil-auth-penalty {
    mode = 0
  }
"""

# Faithful to dovecot-up.sh (Dovecot 2.3); {{ }} are literal braces.
_CONFIG = """\
# generated by clawback.lib.testing.dovecot: a private test instance, not /etc/dovecot
instance_name = {instance}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/log/dovecot.log
info_log_path = {d}/log/dovecot-info.log
protocols = imap lmtp sieve
listen = 127.0.0.1
hostname = mail.{domain}
postmaster_address = postmaster@{domain}
shutdown_clients = yes

default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
default_process_limit = {process_limit}
default_client_limit = {client_limit}
default_vsz_limit = 1G

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_master_user_separator = *
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_failure_delay = {auth_failure_delay}

mail_uid = {mail_user}
mail_gid = {mail_group}
first_valid_uid = 1
mail_location = {mail_location}
mail_fsync = {fsync}
mail_plugins = {mail_plugins}
mail_max_userip_connections = 1000
mailbox_list_index = yes
mail_home = {d}/mail/%d/%n
{submission}

# master passdb first: the master logs in as "user0001@{domain}*admin" with its own password;
# result_success=continue makes dovecot then check that the target user exists.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/etc/master-users
  master = yes
  result_success = continue
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/etc/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/etc/users
  default_fields = uid={mail_user} gid={mail_group} home={d}/mail/%d/%n
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  mailbox "{trash}" {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Archive {{
    special_use = \\Archive
    auto = subscribe
  }}
  mailbox "{recoverable}" {{
    auto = create
  }}
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  service_count = 0
  process_min_avail = 2
  {chroot}
}}
service imap {{
  process_limit = 1024
}}
service managesieve-login {{
  inet_listener sieve {{
    address = 127.0.0.1
    port = {sieve_port}
  }}
  {chroot}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  {chroot}
{anvil_penalty}}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}

protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
protocol imap {{
  mail_max_userip_connections = 1000
}}
protocol sieve {{
  managesieve_max_line_length = 65536
}}

plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
{lazy_block}}}
"""
