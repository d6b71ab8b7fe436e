"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 and a free port, with Django's SMTP
backend pointed at it, so an email is read back exactly as a mail server received it (headers,
MIME parts, encoding) rather than as Django's in-memory object.

Use the ``smtp_server`` fixture (registered in tests/conftest.py)::

    def test_it(smtp_server, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            ...
        [message] = smtp_server.wait_for(1)
        assert message["Subject"] == "..."
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collector:
    """aiosmtpd handler: keeps every delivered message, parsed, with its envelope."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Condition()

    # aiosmtpd calls a handler's hooks by these names.
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self.received:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.received.notify_all()
        return "250 Message accepted for delivery"


class SMTPServer:
    """The running server: its address, what it received, and a way to wait for it."""

    def __init__(self, controller: Controller, collector: _Collector) -> None:
        self.controller = controller
        self._collector = collector
        self.host = "127.0.0.1"
        self.port = int(controller.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._collector.received:
            return list(self._collector.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self._collector.received:
            return list(self._collector.envelopes)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """At least ``count`` messages, waiting up to ``timeout`` seconds; fails the test if fewer
        arrived. Returns every message received so far."""
        deadline = time.monotonic() + timeout
        with self._collector.received:
            while len(self._collector.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(
                        f"expected {count} email(s), the SMTP server received "
                        f"{len(self._collector.messages)}"
                    )
                self._collector.received.wait(left)
            return list(self._collector.messages)

    def clear(self) -> None:
        with self._collector.received:
            self._collector.messages.clear()
            self._collector.envelopes.clear()


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    """A real SMTP server for this test, with Django's SMTP backend pointed at it."""
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield SMTPServer(controller, collector)
    finally:
        controller.stop()
