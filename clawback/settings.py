"""Django settings for Clawback, read from the environment (see README "Configuration")."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from clawback.lib.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent
HOME = Path(env_str("CLAWBACK_HOME", str(Path.cwd() / "var"))).resolve()

DEBUG = env_bool("CLAWBACK_DEBUG", False)
_secret = env_secret("CLAWBACK_SECRET_KEY")
if _secret is None:
    # A per-installation key kept next to the database, so a demo needs no set-up and
    # restarts keep sessions valid.  Production deployments pass CLAWBACK_SECRET_KEY(_FILE).
    _key_file = HOME / "secret_key"
    if not _key_file.exists():
        import secrets

        HOME.mkdir(parents=True, exist_ok=True)
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    _secret = _key_file.read_text().strip()
SECRET_KEY = _secret
ALLOWED_HOSTS = env_list("CLAWBACK_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CLAWBACK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "clawback.accounts",
    "clawback.audit",
    "clawback.mailstores",
    "clawback.mail",
    "clawback.explorer",
    "clawback.remediation",
    "clawback.investigations",
    "clawback.web",
    "clawback.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clawback.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clawback.web.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "clawback.urls"
WSGI_APPLICATION = "clawback.wsgi.application"

# django-ninja's templates and static files (the API docs page then loads Swagger UI from
# /static/ instead of a CDN, which the Content-Security-Policy would refuse), found without
# importing ninja: as an installed app it would load ninja and pydantic (~0.15 s) into every
# command and worker at start-up, not only where the API is served.
NINJA_DIR = Path(importlib.util.find_spec("ninja").origin or "").parent  # type: ignore[union-attr]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clawback.web.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = env_str("DATABASE_URL", f"sqlite:///{HOME / 'clawback.sqlite3'}")
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        if env_bool("CLAWBACK_SQLITE_WRITE_LOCK", True):
            # Writers queue on a file lock, woken at once (see clawback/lib/sqlite/base.py).
            config["ENGINE"] = "clawback.lib.sqlite"
            # Tests: the in-memory database Django gives the stock engine (pytest-django would
            # otherwise derive a file name from NAME for the engine it does not know).
            config["TEST"] = {"NAME": ":memory:"}
        # WAL lets readers (web UI) run while a worker writes; IMMEDIATE transactions make
        # concurrent writers queue on the lock instead of failing with "database is locked".
        # Checkpoints every 20,000 WAL pages (~80 MB) instead of 1,000: each checkpoint copies
        # pages back and syncs the file, and with random index keys most of a commit's pages are
        # rewritten by the next commits anyway.  Measured on a remediation's result commits (one
        # worker, 98 mailboxes): 18.5 ms -> 12.8 ms each, under the write lock.  Every connection
        # gets it, the sync's bulk writer included (clawback.lib.bulk).
        config["OPTIONS"] = {
            "timeout": 60,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=20000;",
        }
        config["CONN_MAX_AGE"] = 0
    elif config["ENGINE"] not in (
        "django.db.backends.postgresql",
        "django.db.backends.postgresql_psycopg2",
    ):
        raise ImproperlyConfigured(f"DATABASE_URL: unsupported engine {config['ENGINE']}")
    else:
        # JIT compilation costs 100-300 ms whenever a plan's estimate passes jit_above_cost,
        # which any scan of a million-row index does; it only pays off for queries running many
        # seconds, and the Explorer's must answer in well under one (benchmarks/explorer.py).
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    config.setdefault("TEST", {})
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "sync", "remediation"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "explorer"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [NINJA_DIR / "static"]
STATIC_ROOT = HOME / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "clawback": {"handlers": ["console"], "level": env_str("CLAWBACK_LOG_LEVEL", "INFO")},
    },
}

# --- Clawback -----------------------------------------------------------------------------
# Organisation domains decide direction (inbound / outbound / intra-org) at indexing time.
CLAWBACK_ORG_DOMAINS = env_list("CLAWBACK_ORG_DOMAINS", [])
# IMAP connections per store, per sync/remediation process (2-4 saturate a 2-core host).
CLAWBACK_IMAP_CONNECTIONS = env_int("CLAWBACK_IMAP_CONNECTIONS", 4, minimum=1)
# Processes used by `clawback sync` to fetch and parse in parallel.
CLAWBACK_SYNC_PROCESSES = env_int("CLAWBACK_SYNC_PROCESSES", 2, minimum=1)
# Result rows shown per page in the Explorer search.
CLAWBACK_PAGE_SIZE = env_int("CLAWBACK_PAGE_SIZE", 50, minimum=1)
# Rows of one Explorer CSV export (SPEC §3: the reference system's 200,000).
CLAWBACK_EXPORT_LIMIT = env_int("CLAWBACK_EXPORT_LIMIT", 200_000, minimum=1)

# --- Remediation (SPEC §4) ----------------------------------------------------------------
# Selection limits, per mode (the reference system's defaults).
CLAWBACK_REMEDIATION_LIMIT_IDS = env_int("CLAWBACK_REMEDIATION_LIMIT_IDS", 100, minimum=1)
CLAWBACK_REMEDIATION_LIMIT_QUERY = env_int("CLAWBACK_REMEDIATION_LIMIT_QUERY", 200_000, minimum=1)
CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS = env_int("CLAWBACK_REMEDIATION_LIMIT_QUERY_EXCLUSIONS", 1_000, minimum=1)
CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS = env_int("CLAWBACK_REMEDIATION_LIMIT_EXCLUSIONS", 100, minimum=0)
# Pending proposals expire; the same selection and action approved this recently is a duplicate.
CLAWBACK_REMEDIATION_PROPOSAL_DAYS = env_int("CLAWBACK_REMEDIATION_PROPOSAL_DAYS", 7, minimum=1)
CLAWBACK_REMEDIATION_DEDUP_MINUTES = env_int("CLAWBACK_REMEDIATION_DEDUP_MINUTES", 60, minimum=0)
# Executor: items per claimed batch, how long a claim holds, how often the watchdog looks.
CLAWBACK_REMEDIATION_BATCH = env_int("CLAWBACK_REMEDIATION_BATCH", 1000, minimum=1)
CLAWBACK_REMEDIATION_LEASE_SECONDS = env_int("CLAWBACK_REMEDIATION_LEASE_SECONDS", 300, minimum=1)
CLAWBACK_REMEDIATION_TICK_SECONDS = env_int("CLAWBACK_REMEDIATION_TICK_SECONDS", 30, minimum=1)
# Mailboxes of one store worked at once, across all workers (one connection each).
CLAWBACK_REMEDIATION_CONNECTIONS = env_int("CLAWBACK_REMEDIATION_CONNECTIONS", 4, minimum=1)
# Messages per second per store (0: no limit); transient failures retried this many times.
CLAWBACK_REMEDIATION_RATE = env_int("CLAWBACK_REMEDIATION_RATE", 0, minimum=0)
CLAWBACK_REMEDIATION_MAX_ATTEMPTS = env_int("CLAWBACK_REMEDIATION_MAX_ATTEMPTS", 5, minimum=1)
CLAWBACK_REMEDIATION_RETRY_SECONDS = env_int("CLAWBACK_REMEDIATION_RETRY_SECONDS", 5, minimum=0)
# Soft-deleted mail is purged from the recoverable folder after this many days.
CLAWBACK_SOFT_DELETE_RETENTION_DAYS = env_int("CLAWBACK_SOFT_DELETE_RETENTION_DAYS", 14, minimum=0)
