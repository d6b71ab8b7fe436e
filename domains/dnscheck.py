"""The TXT-record lookup behind domain verification, against the configured resolver.

``DNS_RESOLVER`` ("host:port") names one resolver, which is what tests (a local DNS server) and
installations with a split-horizon resolver need; empty means the system's resolvers. The whole
lookup, retries included, is bounded by ``DNS_TIMEOUT_SECONDS``: an admin's request waits for it.
No cache: a record the admin has just published must be seen on the next click.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.resolver
from django.conf import settings


class Outcome(enum.Enum):
    FOUND = "found"
    NO_RECORD = "no_record"
    TIMEOUT = "timeout"
    FAILED = "failed"


@dataclass(frozen=True)
class TxtAnswer:
    outcome: Outcome
    values: tuple[str, ...] = ()
    detail: str = ""


def _resolver() -> dns.resolver.Resolver:
    timeout = float(settings.DNS_TIMEOUT_SECONDS)
    configured = str(settings.DNS_RESOLVER or "").strip()
    if configured:
        resolver = dns.resolver.Resolver(configure=False)
        host, port = _host_port(configured)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def _host_port(value: str) -> tuple[str, int]:
    """``"127.0.0.1:5353"``, ``"[::1]:5353"``, or a bare address (port 53)."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if value.count(":") == 1:
        host, port = value.split(":")
        return host, int(port)
    return value, 53


def txt_lookup(name: str) -> TxtAnswer:
    """The TXT values at ``name`` (each record's strings joined, as a long value is split into
    255-byte strings), or why there are none."""
    try:
        answer = _resolver().resolve(dns.name.from_text(name), "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return TxtAnswer(Outcome.NO_RECORD)
    except dns.exception.Timeout:
        return TxtAnswer(Outcome.TIMEOUT)
    except dns.resolver.NoNameservers as error:
        # Every server answered SERVFAIL/REFUSED (or was unreachable).
        return TxtAnswer(Outcome.FAILED, detail=str(error)[:120])
    except (dns.exception.DNSException, OSError) as error:
        return TxtAnswer(Outcome.FAILED, detail=str(error)[:120])
    values = tuple(
        b"".join(rdata.strings).decode("utf-8", "replace").strip()
        for rdata in answer
        if hasattr(rdata, "strings")
    )
    return TxtAnswer(Outcome.FOUND, values=values)
