"""Fixtures shared by every app's tests.

Personas (as in healthchecks): Alice is a Global Administrator, Bob a Security Reader, Carol a
Data Investigator (has Preview), Dave a Security Operator (can propose), Erin a Security
Administrator (Search and Purge, no Preview).  Everyone's password is ``pw-<name>-123!``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import post_migrate

from clawback.accounts.actions import do_create_user
from clawback.lib.testing.browser import page  # noqa: F401 (fixture)
from clawback.lib.testing.fixtures import as_user, deliver, dovecot, new_user, user  # noqa: F401 (fixtures)

CORPUS = Path(os.environ.get("CLAWBACK_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))

PERSONAS = {
    "alice": "Global Administrator",
    "bob": "Security Reader",
    "carol": "Data Investigator",
    "dave": "Security Operator",
    "erin": "Security Administrator",
}


def password_of(name: str) -> str:
    return f"pw-{name}-123!"


def _persona(name: str) -> User:
    return do_create_user(name, groups=[PERSONAS[name]], password=password_of(name), acting_user="test")


@pytest.fixture
def alice(db: None) -> User:
    return _persona("alice")


@pytest.fixture
def bob(db: None) -> User:
    return _persona("bob")


@pytest.fixture
def carol(db: None) -> User:
    return _persona("carol")


@pytest.fixture
def dave(db: None) -> User:
    return _persona("dave")


@pytest.fixture
def erin(db: None) -> User:
    return _persona("erin")


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"email corpus not present at {CORPUS}")
    return CORPUS


def _restore_baseline(sender: object, **kwargs: object) -> None:
    """Transactional tests flush the database, which also removes what data migrations made
    (role groups, the audit chain head).  Django emits post_migrate after a flush: put the
    baseline back, exactly as the migrations create it."""
    from django.apps import apps as global_apps

    if getattr(sender, "name", "") != "clawback.audit":
        return
    role_groups = importlib.import_module("clawback.accounts.migrations.0002_role_groups")
    chain_head = importlib.import_module("clawback.audit.migrations.0002_chain_head")

    role_groups.create(global_apps, None)
    chain_head.create(global_apps, None)


post_migrate.connect(_restore_baseline, dispatch_uid="clawback-test-baseline")
