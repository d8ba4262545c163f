"""Django settings. Every deployment knob is a PLANTDESK_* environment variable (CONTRACT.md section 1)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


HOME = Path(os.environ.get("PLANTDESK_HOME", "./var")).resolve()

DEBUG = env_bool("PLANTDESK_DEBUG")


def _secret_key() -> str:
    """An explicit key wins; otherwise one is generated once and kept under PLANTDESK_HOME (never in git)."""
    key = os.environ.get("PLANTDESK_SECRET_KEY")
    if key:
        return key
    key_file = HOME / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    HOME.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("PLANTDESK_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("PLANTDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "django_tasks_db",
    "plantdesk.core",
    "plantdesk.accounts",
    "plantdesk.cmdb",
    "plantdesk.incidents",
    "plantdesk.slas",
    "plantdesk.events",
    "plantdesk.changes",
    "plantdesk.problems",
    "plantdesk.requests",
    "plantdesk.sparkplug",
    "plantdesk.api",
    "plantdesk.ui",
    "plantdesk.composition",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before sign-in (the login page) the browser's Accept-Language picks the language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "plantdesk.api.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "plantdesk.accounts.middleware.SessionGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "plantdesk.core.middleware.ActiveTimeZoneMiddleware",
    "plantdesk.ui.middleware.UserLocaleMiddleware",
]

ROOT_URLCONF = "plantdesk.urls"
WSGI_APPLICATION = "plantdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "plantdesk.ui.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("PLANTDESK_DATABASE_URL")
    if not url:
        HOME.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{HOME / 'plantdesk.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing with
        # "database is locked" half-way through; WAL lets readers run beside the writer.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
            ),
        }
        config["TEST"] = {"NAME": str(HOME / "test.sqlite3")} if env_bool("PLANTDESK_TEST_FILE_DB") else {}
    else:
        config["CONN_MAX_AGE"] = int(os.environ.get("PLANTDESK_DB_CONN_MAX_AGE", "60"))
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering (INCLUDE) indexes serve PostgreSQL; on SQLite the same index simply has no extra columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["plantdesk.accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "ui:login"
LOGIN_REDIRECT_URL = "ui:home"
LOGOUT_REDIRECT_URL = "ui:login"

# Failed logins before an account is refused for LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURE_LIMIT = int(os.environ.get("PLANTDESK_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("PLANTDESK_LOGIN_LOCKOUT_MINUTES", "15"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600
# A session ends after this many minutes without activity (background polls do not count): CONTRACT.md 14.
SESSION_IDLE_MINUTES = int(os.environ.get("PLANTDESK_SESSION_IDLE_MINUTES", "30"))
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("PLANTDESK_SESSION_IDLE_MINUTES must be a whole number of minutes, at least 1.")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp 4 format): everything from this server, nothing inline, nothing eval'd.
# Styles and scripts live in static files; bars get their widths from app.js; htmx runs without eval (no
# hx-on, no js: values, no trigger filters) and without its inline indicator styles. The API docs page
# (Swagger UI) is served under the same policy (plantdesk.api.docs). img-src allows data: for the blank
# favicon and Swagger UI's icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Behind TLS (docs/operations.md): cookies only over HTTPS, HSTS, and the TLS proxy's X-Forwarded-Proto
# believed. One switch, because each of these is only right when all are: a proxy that terminates TLS and
# sets the header. Off by default, so that the embedded http://127.0.0.1 start keeps working.
SECURE_COOKIES = env_bool("PLANTDESK_SECURE_COOKIES")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # One year, the usual preload minimum; lower it while trying TLS out (browsers remember it that long).
    SECURE_HSTS_SECONDS = int(os.environ.get("PLANTDESK_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en"
# The languages shipped (docs/operations.md, "Language and date formats"); each has its message file under
# LOCALE_PATHS, compiled at install, and its date formats under FORMAT_MODULE_PATH.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["plantdesk.ui.formats"]
TIME_ZONE = os.environ.get("PLANTDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Bodies above 1 MiB are refused with 413 before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

EMAIL_URL = os.environ.get("PLANTDESK_EMAIL_URL", "")
MQTT_URL = os.environ.get("PLANTDESK_MQTT_URL", "mqtt://127.0.0.1:1883")
# The ingest's MQTT session name; empty: one derived from this installation's database (events/mqtt/identity.py).
MQTT_CLIENT_ID = os.environ.get("PLANTDESK_MQTT_CLIENT_ID", "")

# Events (DOMAIN.md section 7): reopen window, flapping (N open/close changes within an interval) and the
# ISA-18.2 flood threshold (more than N alarms in an area within an interval).
EVENTS_REOPEN_SECONDS = int(os.environ.get("PLANTDESK_EVENTS_REOPEN_SECONDS", "3600"))
EVENTS_FLAP_CHANGES = int(os.environ.get("PLANTDESK_EVENTS_FLAP_CHANGES", "5"))
EVENTS_FLAP_SECONDS = int(os.environ.get("PLANTDESK_EVENTS_FLAP_SECONDS", "600"))
EVENTS_FLOOD_ALARMS = int(os.environ.get("PLANTDESK_EVENTS_FLOOD_ALARMS", "10"))
EVENTS_FLOOD_SECONDS = int(os.environ.get("PLANTDESK_EVENTS_FLOOD_SECONDS", "600"))
# A sender's own severity words, as "theirs=ours" pairs ("high=major,low=minor"): fixing this mapping and
# replaying the dead letters it caused is the usual way to recover a sender's unknown severities.
EVENTS_SEVERITY_ALIASES = dict(
    pair.strip().split("=", 1)
    for pair in os.environ.get("PLANTDESK_EVENTS_SEVERITY_ALIASES", "").split(",")
    if "=" in pair
)

# Other processes see a change to a small configuration table (priority matrix, options) within this time.
CONFIG_CACHE_SECONDS = float(os.environ.get("PLANTDESK_CONFIG_CACHE_SECONDS", "30"))

# Incident policy defaults (DOMAIN.md section 1).
INCIDENT_AUTO_CLOSE_DAYS = int(os.environ.get("PLANTDESK_INCIDENT_AUTO_CLOSE_DAYS", "5"))
INCIDENT_DEFAULT_GROUP = os.environ.get("PLANTDESK_INCIDENT_DEFAULT_GROUP", "Service Desk")
# N open incidents on one CI within M minutes are proposed as a major incident.
MAJOR_CANDIDATE_MIN_INCIDENTS = int(os.environ.get("PLANTDESK_MAJOR_CANDIDATE_MIN_INCIDENTS", "3"))
MAJOR_CANDIDATE_WINDOW_MINUTES = int(os.environ.get("PLANTDESK_MAJOR_CANDIDATE_WINDOW_MINUTES", "15"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PLANTDESK_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# Change enablement (DOMAIN.md section 3).
# How many relationship hops away another change's CI still conflicts ("related through the CMDB").
CHANGE_CONFLICT_DEPTH = int(os.environ.get("PLANTDESK_CHANGE_CONFLICT_DEPTH", "1"))
# A normal change is planned at least this many days after it goes to authorisation (the CAB meets).
CHANGE_CAB_LEAD_DAYS = int(os.environ.get("PLANTDESK_CHANGE_CAB_LEAD_DAYS", "2"))
# An emergency GxP change needs its retrospective QA signature and deviation reference within this time.
CHANGE_EMERGENCY_RETROSPECTIVE_HOURS = int(os.environ.get("PLANTDESK_CHANGE_EMERGENCY_RETROSPECTIVE_HOURS", "72"))

# Domain events (core.domain_events, core.dispatch). Extra consumers by dotted path ("package.module:name"
# of a core.domain_events.Consumer), comma separated. A worker leases outbox partitions for this long and
# renews the lease with every batch; a crashed worker's partitions pass to another one once it runs out.
EVENT_CONSUMERS = [p.strip() for p in os.environ.get("PLANTDESK_EVENT_CONSUMERS", "").split(",") if p.strip()]
OUTBOX_LEASE_SECONDS = float(os.environ.get("PLANTDESK_OUTBOX_LEASE_SECONDS", "30"))
OUTBOX_BATCH = int(os.environ.get("PLANTDESK_OUTBOX_BATCH", "500"))
# Failing deliveries are retried after 2, 4, 8 ... seconds (at most OUTBOX_MAX_BACKOFF_SECONDS), then given up.
OUTBOX_MAX_ATTEMPTS = int(os.environ.get("PLANTDESK_OUTBOX_MAX_ATTEMPTS", "10"))
OUTBOX_MAX_BACKOFF_SECONDS = int(os.environ.get("PLANTDESK_OUTBOX_MAX_BACKOFF_SECONDS", "900"))
# Delivered events are kept this many days (what was dispatched, when, after how many attempts), then purged.
OUTBOX_RETENTION_DAYS = int(os.environ.get("PLANTDESK_OUTBOX_RETENTION_DAYS", "14"))
