"""A real DNS server for the verified-domain tests: dnslib's ``DNSServer`` on 127.0.0.1 and a free
UDP port, answering from records the test sets, with ``DNS_RESOLVER`` pointed at it. Beside it, a
"silent" server (a bound UDP socket that never answers) for the timeout case."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer


@dataclass
class Zone(BaseResolver):  # type: ignore[misc]  # dnslib ships no types
    """TXT records by name; anything else is NXDOMAIN. ``queries`` lists what was asked."""

    txt: dict[str, list[str]] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_txt(self, name: str, *values: str) -> None:
        with self.lock:
            self.txt[name.lower().rstrip(".")] = list(values)

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        qname = str(request.q.qname).lower().rstrip(".")
        with self.lock:
            self.queries.append(qname)
            values = self.txt.get(qname)
        if values is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


class _Quiet(DNSLogger):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


@pytest.fixture(scope="session")
def _dns_server() -> Iterator[tuple[Zone, int]]:
    zone = Zone()
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=_Quiet())
    server.start_thread()
    try:
        yield zone, server.server.server_address[1]
    finally:
        server.stop()
        server.server.server_close()


@pytest.fixture
def dns_zone(_dns_server: tuple[Zone, int], settings: Any) -> Zone:
    """The real DNS server, emptied for this test, as the resolver the application uses."""
    zone, port = _dns_server
    with zone.lock:
        zone.txt.clear()
        zone.queries.clear()
    settings.DNS_RESOLVER = f"127.0.0.1:{port}"
    settings.DNS_TIMEOUT_SECONDS = 2
    return zone


@pytest.fixture
def silent_dns(settings: Any) -> Iterator[None]:
    """A resolver address where a socket is bound and never answers: every lookup times out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    settings.DNS_RESOLVER = f"127.0.0.1:{sock.getsockname()[1]}"
    settings.DNS_TIMEOUT_SECONDS = 0.3
    try:
        yield
    finally:
        sock.close()
