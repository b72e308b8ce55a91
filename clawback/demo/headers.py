"""Trace and verdict headers: ``Received`` chains, ``Authentication-Results``, ``DKIM-Signature``
and the stamps of upstream filters (SpamAssassin, rspamd, Exchange Online Protection).

The organisation runs Postfix on ``mx1.<org>`` handing mail to Dovecot on ``mbox1.<org>`` over
LMTP, so every delivered message carries, top to bottom: the LMTP hop (internal 10.x), the MX hop
(the sender's public address, the one an analyst pivots on), then zero to two hops inside the
sending organisation (10.x again).
"""

from __future__ import annotations

import functools
import random
import string
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from clawback.demo.mime import CRLF, rfc5322_date

# RFC 5737 documentation ranges.  Python's ``ipaddress`` reports them as private (not global),
# which is why generate() takes ``external_ips``: a deployment that wants the parser's "first
# external hop" logic to see them can pass public-looking addresses instead.
DEFAULT_EXTERNAL_IPS: tuple[str, ...] = tuple(
    f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113") for host in range(1, 255)
)

_TLS = (
    "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
    f"{CRLF}\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)"
    f"{CRLF}\t(No client certificate requested)"
)

_COMPAUTH_REASON = {"pass": "100", "softpass": "201", "none": "905"}


@dataclass(frozen=True)
class Org:
    """The receiving organisation's mail hosts (plain attributes: they are read per hop)."""

    domain: str
    mx: str = field(init=False)
    mailstore: str = field(init=False)
    submission: str = field(init=False)
    name: str = field(init=False)  # 'example.test' -> 'Example'

    def __post_init__(self) -> None:
        object.__setattr__(self, "mx", f"mx1.{self.domain}")
        object.__setattr__(self, "mailstore", f"mbox1.{self.domain}")
        object.__setattr__(self, "submission", f"smtp.{self.domain}")
        object.__setattr__(self, "name", self.domain.split(".")[0].replace("-", " ").title())


class Auth(NamedTuple):
    spf: str = "pass"
    dkim: str = "pass"
    dmarc: str = "pass"
    compauth: str = "pass"


class Tokens:
    """Cheap random identifiers (queue ids, DKIM values) cut from pools built once per run."""

    _ALNUM = string.ascii_letters + string.digits
    _B64 = _ALNUM + "+/"

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._random = rng.random
        self.alnum = "".join(rng.choices(self._ALNUM, k=16_384))
        self.b64 = "".join(rng.choices(self._B64, k=16_384))
        self._signatures: list[str] = []

    def cut(self, pool: str, n: int) -> str:
        start = int(self._random() * (len(pool) - n))
        return pool[start : start + n]

    def signature(self) -> str:
        """A folded 2048-bit RSA signature value; a few hundred distinct ones are plenty."""
        if not self._signatures:
            for _ in range(256):
                b = self.cut(self.b64, 342) + "=="
                self._signatures.append(f"{CRLF}\t ".join(b[i : i + 70] for i in range(0, len(b), 70)))
        return self._signatures[int(self._random() * len(self._signatures))]

    def queue_id(self) -> str:
        return self.cut(self.alnum, 14)

    def hex(self, bits: int = 64) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"


class IpPlan:
    """One stable public address per sending domain, and 10.x addresses for inside hops."""

    def __init__(self, external_ips: Sequence[str]) -> None:
        if not external_ips:
            raise ValueError("external_ips must not be empty")
        self.external = tuple(external_ips)

    def for_domain(self, domain: str) -> str:
        # crc32, not hash(): str hashes change between interpreter runs.
        return self.external[zlib.crc32(domain.encode()) % len(self.external)]

    @staticmethod
    @functools.lru_cache(maxsize=4096)
    def internal(domain: str, salt: int = 0) -> str:
        """A stable 10.x address for a host inside ``domain``'s network."""
        n = zlib.crc32(f"{domain}/{salt}".encode())
        return f"10.{n >> 16 & 0xFF}.{n >> 8 & 0xFF}.{(n & 0xFF) % 250 + 2}"


def lmtp_hop(tok: Tokens, org: Org, frm: str, frm_ip: str, mail_from: str, rcpt: str, ts: int) -> str:
    return (
        f"Received: from {frm} ([{frm_ip}]){CRLF}\tby {org.mailstore} with LMTP{CRLF}"
        f"\tid {tok.cut(tok.alnum, 22)}{CRLF}"
        f"\t(envelope-from <{mail_from}>){CRLF}"
        f"\tfor <{rcpt}>; {rfc5322_date(ts)}"
    )


def mx_via(org: Org, *, tls: bool) -> str:
    """How our MX accepted the message: the TLS comment Postfix writes, then ``by``."""
    return f"{_TLS}{CRLF}\tby {org.mx} (Postfix) with ESMTPS" if tls else f"by {org.mx} (Postfix) with ESMTP"


def relay_hop(tok: Tokens, client: str, client_ip: str, by: str, ts: int, *, auth: bool) -> str:
    proto = "ESMTPSA" if auth else "ESMTP"
    return (
        f"Received: from {client} ({client} [{client_ip}]){CRLF}"
        f"\tby {by} (Postfix) with {proto} id {tok.queue_id()};{CRLF}\t{rfc5322_date(ts)} (UTC)"
    )


def authentication_results(
    tok: Tokens, org: Org, auth: Auth, *, ip: str, mail_from: str, from_domain: str, dkim_domain: str
) -> str:
    """RFC 8601 ``Authentication-Results`` as the org's MX writes it, with ``compauth`` as EOP
    adds it (the composite verdict analysts know from the reference system)."""
    head, tail = _results_frame(org.mx, auth, from_domain, dkim_domain)
    signature = f'"{tok.cut(tok.b64, 8)}";' if auth.dkim != "none" else ";"
    return f"{head}{signature}{CRLF}\t{_spf_result(org, auth.spf, ip, mail_from)};{tail}"


@functools.lru_cache(maxsize=8192)
def _results_frame(mx: str, auth: Auth, from_domain: str, dkim_domain: str) -> tuple[str, str]:
    """The parts of Authentication-Results that depend only on the sender's domains."""
    if auth.dkim == "none":
        dkim = "dkim=none (message not signed)"
    else:
        why = "(2048-bit key; unprotected key)" if auth.dkim == "pass" else "(signature verification failed)"
        dkim = f"dkim={auth.dkim} {why} header.d={dkim_domain} header.i=@{dkim_domain} header.b="
    compauth = f"compauth={auth.compauth} reason={_compauth_reason(auth)}"
    tail = f"{CRLF}\t{_dmarc_result(auth.dmarc, from_domain)};{CRLF}\t{compauth}"
    return f"Authentication-Results: {mx};{CRLF}\t{dkim}", tail


def _spf_result(org: Org, result: str, ip: str, mail_from: str) -> str:
    if result == "pass":
        comment = f"domain of {mail_from} designates {ip} as permitted sender"
    elif result == "fail":
        comment = f"domain of {mail_from} does not designate {ip} as permitted sender"
    elif result == "softfail":
        comment = f"domain of transitioning {mail_from} does not designate {ip} as permitted sender"
    elif result == "neutral":
        comment = f"{ip} is neither permitted nor denied by domain of {mail_from}"
    else:
        comment = f"domain of {mail_from} does not designate permitted sender hosts"
    return f"spf={result} ({org.mx}: {comment}) smtp.mailfrom={mail_from}"


def _dmarc_result(result: str, from_domain: str) -> str:
    policy = "(p=REJECT sp=REJECT dis=NONE)" if result != "fail" else "(p=QUARANTINE dis=QUARANTINE)"
    if result == "none":
        policy = "(p=NONE dis=NONE)"
    return f"dmarc={result} {policy} header.from={from_domain}"


def _compauth_reason(auth: Auth) -> str:
    if auth.compauth == "fail":
        return "000" if auth.dmarc == "fail" else "001"
    return _COMPAUTH_REASON.get(auth.compauth, "905")


def received_spf(auth: Auth, *, ip: str, helo: str, mail_from: str, rcpt: str) -> str:
    """The ``Received-SPF`` line policyd-spf adds (RFC 7208 §9.1)."""
    return (
        f"Received-SPF: {auth.spf.capitalize()} (mailfrom) identity=mailfrom; client-ip={ip};"
        f"{CRLF}\thelo={helo}; envelope-from={mail_from}; receiver=<{rcpt}>"
    )


def dkim_signature(tok: Tokens, domain: str, selector: str, ts: int) -> str:
    """A syntactically valid RFC 6376 signature.  Nothing verifies it: the MX already did, and
    wrote the verdict into Authentication-Results."""
    folded = tok.signature()
    return (
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain};{CRLF}"
        f"\ts={selector}; t={ts};{CRLF}"
        f"\th=from:to:subject:date:message-id:mime-version:content-type;{CRLF}"
        f"\tbh={tok.cut(tok.b64, 43)}=;{CRLF}\tb={folded}"
    )


def spamassassin(score: float, tests: Sequence[str], *, host: str) -> str:
    """SpamAssassin's ``X-Spam-*`` headers; the flag only when the score reaches 5.0."""
    spam = score >= 5.0
    lines = []
    if spam:
        lines.append("X-Spam-Flag: YES")
    lines.append(f"X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-13) on {host}")
    lines.append(f"X-Spam-Level: {'*' * max(0, int(score))}")
    tests_text = _tests_text(tuple(tests))
    lines.append(
        f"X-Spam-Status: {'Yes' if spam else 'No'}, score={score:.1f} required=5.0 tests={tests_text}"
        f"{CRLF}\tautolearn=no autolearn_force=no version=4.0.0"
    )
    return CRLF.join(lines)


@functools.lru_cache(maxsize=4096)
def _tests_text(tests: tuple[str, ...]) -> str:
    return f",{CRLF}\t".join(",".join(tests[i : i + 3]) for i in range(0, len(tests), 3))


def rspamd(score: float, symbols: Sequence[tuple[str, float, str]]) -> str:
    """rspamd's ``X-Spamd-Result`` (milter headers module) and the action it took."""
    parts = "".join(f";{CRLF}\t {name}({weight:.2f})[{arg}]" for name, weight, arg in symbols)
    action = "add header" if score >= 6 else "no action"
    return (
        f"X-Spamd-Result: default: False [{score:.2f} / 15.00]{parts}{CRLF}"
        f"X-Rspamd-Action: {action}{CRLF}X-Spam: {'Yes' if score >= 6 else 'No'}"
    )


def forefront(ip: str, helo: str, *, cat: str, scl: int, country: str = "NL") -> str:
    """Exchange Online Protection's verdict, as a message relayed from a Microsoft 365 tenant
    carries it.  SFV:SPM means the filter marked it spam; CAT is the category (PHSH, MALW, …)."""
    sfv = "SPM" if scl >= 5 else "NSPM"
    return (
        f"X-Forefront-Antispam-Report:{CRLF}\tCIP:{ip};CTRY:{country};LANG:en;SCL:{scl};SRV:;"
        f"IPV:NLI;SFV:{sfv};H:{helo};PTR:InfoDomainNonexistent;CAT:{cat};{CRLF}"
        f"\tSFS:(13230040)(4636009)(376014)(1800799024)(82310400026);DIR:INB;"
    )


def ms_antispam(bcl: int) -> str:
    """``X-Microsoft-Antispam`` with its bulk complaint level (BCL 0-9; 7+ is bulk)."""
    return f"X-Microsoft-Antispam: BCL:{bcl};"
