"""Settings helpers fail loudly on malformed values and read secrets from *_FILE."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clawback.lib.env import env_bool, env_int, env_list, env_secret


def test_bool_accepts_words_and_refuses_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        env_bool("X_FLAG", False)


def test_int_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_N", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_N", 4, minimum=1)
    monkeypatch.setenv("X_N", "four")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X_N", 4)


def test_list_and_secret_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("X_LIST", " a.example , b.example,,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    secret = tmp_path / "s"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_secret("X_SECRET") == "s3cret"
    monkeypatch.setenv("X_SECRET", "other")
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("X_SECRET")


def test_bad_database_url_stops_startup(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "CLAWBACK_HOME": str(tmp_path), "DATABASE_URL": "mysql://x@y/z"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='clawback.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.returncode != 0
    assert "DATABASE_URL" in proc.stderr
