"""One corpus per test session: 50 mailboxes x 100 messages, generated at a fixed time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clawback.demo.generator import DemoMessage, generate, mailboxes

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
BOXES = mailboxes(50)
PER_MAILBOX = 100


@pytest.fixture(scope="session")
def corpus() -> list[DemoMessage]:
    return list(generate(BOXES, PER_MAILBOX, seed=7, now=NOW))
