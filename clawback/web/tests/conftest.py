from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from pytest_django.fixtures import Settings

from clawback.web.tests.factories import make_nobody


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Personas are created per test; PBKDF2's deliberate slowness buys nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def nobody(db: None) -> User:
    """Authenticated, active, in no role group."""
    return make_nobody()
