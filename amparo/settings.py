"""The one settings file. Everything a deployment changes comes from the environment.

Every variable is documented in README.md ("Configuration"). Secrets may be given as
``X`` or as ``X_FILE`` (a path whose contents are the secret), see :func:`env_secret`.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_json(name: str, default: Any) -> Any:
    """A tuning value given as JSON in ``NAME`` (e.g. '{"twilio_sms": 1}'), else default."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be JSON, not {raw!r}.") from None


def env_secret(name: str, default: str = "") -> str:
    """Read a secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    path = os.environ.get(f"{name}_FILE", "").strip()
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points to {path!r}, which cannot be read ({exc.strerror})."
            ) from None
    return os.environ.get(name, default).strip()


DEBUG = env_bool("AMPARO_DEBUG", False)
# Set by `amparo demo` and by the test suite; enables the sandbox phone by default.
DEMO = env_bool("AMPARO_DEMO", False)
TESTING = env_bool("AMPARO_TESTING", False)

DATA_DIR = Path(env("AMPARO_DATA_DIR", str(REPO_DIR / "var"))).resolve()
try:  # the embedded SQLite files live here; huey opens its queue file on import
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
except OSError as _exc:
    raise ImproperlyConfigured(
        f"AMPARO_DATA_DIR ({DATA_DIR}) cannot be created: {_exc.strerror}"
    ) from None

SECRET_KEY = env_secret("AMPARO_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or DEMO or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production-" + "x" * 20  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "AMPARO_SECRET_KEY (or AMPARO_SECRET_KEY_FILE) must be set. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

# Keys for protected fields (amparo.lib.crypto). Read and checked at start-up by
# amparo.lib.crypto.keys; they never go in the database.
MASTER_KEYS_RAW = env_secret("AMPARO_MASTER_KEY")
INDEX_KEY_RAW = env_secret("AMPARO_INDEX_KEY")

ALLOWED_HOSTS = env_list("AMPARO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("AMPARO_CSRF_TRUSTED_ORIGINS")
BASE_URL = env("AMPARO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "amparo.accounts",
    "amparo.channels",
    "amparo.channels.sandbox",
    "amparo.core",
    "amparo.people",
    "amparo.hotline",
    "amparo.reports",
    "amparo.alerts",
    "amparo.cases",
    "amparo.support",
    "amparo.audits",
    "amparo.documents",
    "amparo.hearings",
    "amparo.playbooks",
    "amparo.campaigns",
    "amparo.fund",
    "amparo.twofactor",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    # login lockout per (account, address): see "Login lockout" below
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "amparo.core.middleware_csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # after WhiteNoise (static files keep their long caching): pages are never stored
    "amparo.core.middleware_cache.NoStoreMiddleware",
    # after a panic wipe: the keys-gone page (503) for every request, webhooks included
    "amparo.core.middleware_panic.PanicMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "amparo.accounts.middleware.NetworkMiddleware",
    "amparo.twofactor.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "amparo.urls"
WSGI_APPLICATION = "amparo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amparo.accounts.context_processors.amparo",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # Server-side prepared statements, for the few statements that ask for them
        # (alerts/planning.py: the nearest-N search, planned once per connection). Django
        # binds on the client everywhere else, and psycopg never prepares those.
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
        if TESTING:  # one test database per process: parallel runs never collide
            _name = DATABASES["default"]["NAME"]
            DATABASES["default"]["TEST"] = {"NAME": f"test_{_name}_{os.getpid()}"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "amparo.lib.sqlite",  # writers queue (amparo/lib/sqlite/base.py)
            "NAME": str(DATA_DIR / "amparo.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] in ("django.db.backends.sqlite3", "amparo.lib.sqlite"):
    DATABASES["default"]["ENGINE"] = "amparo.lib.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=5000;PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    if TESTING:
        # A file rather than memory, so tests can read the bytes on disk.
        # One per process, so two test runs on one machine never share a file.
        DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out (account, address) pair before any password is checked
    "amparo.accounts.lockout.LockoutBackend",
    "amparo.accounts.backends.EmailBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # three days, for a coordinator's first log-in
# The "forgot password" form (amparo/core/password_reset.py): requests per client
# address, and mails per account, as (at most, per seconds). The login is not affected.
PASSWORD_RESET_RATE_LIMITS = ((10, 3600), (30, 86400))
PASSWORD_RESET_MAIL_LIMITS = ((3, 3600), (5, 86400))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused CSRF check says so in the person's language; the public report form comes
# back as typed (amparo/core/errors.py:csrf_failure).
CSRF_FAILURE_VIEW = "amparo.core.errors.csrf_failure"

# --- Caches and login lockout (amparo/accounts/lockout.py) -------------------------
# "default" stays Django's per-process memory cache (nothing shared depends on it).
# "axes" holds the failed-login counters and must be shared by every web process of
# one deployment: files under AMPARO_DATA_DIR/cache/axes (one machine; increments are
# made atomic with a file lock), or Redis when AMPARO_CACHE_URL (redis://…) is set —
# needed when web processes run on more than one machine.
CACHE_URL = env_secret("AMPARO_CACHE_URL")
CACHES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES["axes"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": "amparo-axes",
    }
elif CACHE_URL:
    raise ImproperlyConfigured("AMPARO_CACHE_URL must be empty (files) or redis://…")
else:
    CACHES["axes"] = {
        "BACKEND": "amparo.accounts.lockout.LockedFileCache",
        # one directory per test process, so parallel test runs never share counters
        "LOCATION": str(DATA_DIR / "cache" / (f"axes-test-{os.getpid()}" if TESTING else "axes")),
        # never evict live counters (an attacker must not flush them with junk entries)
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
AXES_CACHE = "axes"
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"  # no database rows at all
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
# Lock a pair (account, address): an attacker at one address cannot lock everybody
# out, and the account still works from the person's own phone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (an email)
# Only keyed hashes reach the cache: the email's blind index, and an address derived
# from a keyed hash of the client's address. Logs name the path only.
AXES_USERNAME_CALLABLE = "amparo.accounts.lockout.username_key"
AXES_CLIENT_IP_CALLABLE = "amparo.accounts.lockout.address_key"
AXES_CLIENT_STR_CALLABLE = "amparo.accounts.lockout.client_str"
AXES_LOCKOUT_CALLABLE = "amparo.accounts.lockout.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "email"]
AXES_VERBOSE = False

# --- Security (production defaults; check --deploy runs in the test suite) ----
SECURE = env_bool("AMPARO_SECURE", not (DEBUG or DEMO or TESTING))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env_bool("AMPARO_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE else None
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Uploads stay in memory, never in a temporary file (amparo/lib/uploads.py): up to
# UPLOAD_MAX_BYTES a request (the largest file a form takes: an import), and at most
# UPLOAD_MEMORY_BUDGET for all of a web process's request bodies and photo decoding at
# once (the one budget: amparo/core/buffered.py charges each body as it arrives).
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_MEMORY_BUDGET = env_int("AMPARO_UPLOAD_MEMORY_MB", 128) * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["amparo.lib.uploads.MemoryOnlyUploadHandler"]
# Also the size past which Django's ASGI handler would spool a body to disk.
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500

# --- Languages ----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "amparo_language"
LANGUAGE_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files -------------------------------------------------------------
# `amparo run`, `amparo demo` and the test session run collectstatic into STATIC_ROOT:
# WhiteNoise serves each file under a content-hashed name, cached for a year
# (immutable), and its .gz/.br copy to a browser that asks for gzip or br. Files under
# static/root/ are served at the site's root (/favicon.ico). With AMPARO_DEBUG on,
# pages name the unhashed files, served from the app folders as they are edited.
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"  # the test session collects per content (conftest)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Email --------------------------------------------------------------------
EMAIL_HOST = env("AMPARO_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("AMPARO_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env("AMPARO_EMAIL_USER")
    EMAIL_HOST_PASSWORD = env_secret("AMPARO_EMAIL_PASSWORD")
    EMAIL_USE_TLS = env_bool("AMPARO_EMAIL_TLS", True)
    EMAIL_TIMEOUT = 20
elif DEMO or DEBUG or TESTING:
    # The demo has no mail server: mail is written to a folder you can read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
else:
    # A deployment without a mail server sends no mail, and never writes it to disk in
    # clear; each message dropped is logged (without its content) so the operator sees.
    EMAIL_BACKEND = "amparo.core.mail.NoMailServerBackend"
DEFAULT_FROM_EMAIL = env("AMPARO_FROM_EMAIL", "amparo@localhost")

# --- Background work (huey) ---------------------------------------------------
HUEY_URL = env_secret("AMPARO_HUEY_URL")
HUEY_WORKERS = env_int("AMPARO_HUEY_WORKERS", 2)
_huey_consumer = {
    "workers": HUEY_WORKERS,
    "worker_type": "thread",
    "initial_delay": 0.1,
    "backoff": 1.15,
    "max_delay": 0.25,  # DESIGN.md: poll delay at most 0.25 s
    "periodic": True,
    "check_worker_health": True,
}
if HUEY_URL.startswith(("redis://", "rediss://", "unix://")):
    HUEY: dict = {
        "name": "amparo",
        "huey_class": "huey.RedisHuey",
        "url": HUEY_URL,
        "immediate": False,
        "consumer": _huey_consumer,
    }
elif HUEY_URL.startswith(("postgres://", "postgresql://")):
    HUEY = {
        "name": "amparo",
        "huey_class": "huey.contrib.sql_huey.SqlHuey",
        "database": "psycopg3://" + HUEY_URL.split("://", 1)[1],
        "immediate": False,
        "consumer": _huey_consumer,
    }
elif HUEY_URL in {"", "sqlite"} or HUEY_URL.startswith("sqlite:"):
    _path = HUEY_URL.split(":", 1)[1] if HUEY_URL.startswith("sqlite:") else ""
    HUEY = {
        "name": "amparo",
        "huey_class": "amparo.lib.queue.SqliteHuey",  # synchronous=NORMAL, like the DB
        "filename": _path
        or str(DATA_DIR / (f"huey-test-{os.getpid()}.sqlite3" if TESTING else "huey.sqlite3")),
        "immediate": False,
        "consumer": _huey_consumer,
    }
elif HUEY_URL == "memory":
    HUEY = {"name": "amparo", "huey_class": "huey.MemoryHuey", "immediate": True}
else:
    raise ImproperlyConfigured(
        "AMPARO_HUEY_URL must be empty (SQLite), sqlite:PATH, redis://…, postgres://… or memory."
    )

# Behind a reverse proxy, the request header that carries the client's address (e.g.
# HTTP_X_FORWARDED_FOR; its last address is used), believed only from the proxies'
# addresses or networks listed. Only ever hashed, never stored.
CLIENT_ADDRESS_HEADER = env("AMPARO_CLIENT_ADDRESS_HEADER", "")
TRUSTED_PROXIES = env_list("AMPARO_TRUSTED_PROXIES", "127.0.0.1,::1")

# --- Channels -----------------------------------------------------------------
# Twilio (voice and SMS). With no auth token, every Twilio endpoint refuses every
# request. AMPARO_PUBLIC_URL is the base URL Twilio calls (behind a proxy it is not
# what Django sees), used to check X-Twilio-Signature.
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER")
# Only for tests and the benchmark: where the twilio client sends its API requests.
TWILIO_API_BASE = env("AMPARO_TWILIO_API_BASE")
PUBLIC_URL = env("AMPARO_PUBLIC_URL", BASE_URL).rstrip("/")
# Passkeys (WebAuthn). The relying party id is the host name people reach Amparo by,
# and the origin is scheme://host[:port] of the same URL. An IP address is not a valid
# relying party id: passkeys need a host name (with no host name they are turned off).
# A loopback address becomes localhost, so the demo's passkeys work at
# http://localhost:8000 (browsers treat localhost as a secure context).
_webauthn_url = urlsplit(PUBLIC_URL)
_webauthn_host = _webauthn_url.hostname or "localhost"
if _webauthn_host in ("127.0.0.1", "::1"):
    _webauthn_host = "localhost"
WEBAUTHN_RP_ID = env("AMPARO_WEBAUTHN_RP_ID", _webauthn_host)
# Calendar feeds: the domain in each event's UID (RFC 5545 wants UIDs persistent). Fixed
# here, never the host a request came by, so a calendar subscribed under two names or
# behind a proxy sees the same events. Pin it before moving Amparo to a new address.
CALENDAR_DOMAIN = env("AMPARO_CALENDAR_DOMAIN", _webauthn_url.hostname or "amparo.invalid")
WEBAUTHN_ORIGIN = env(
    "AMPARO_WEBAUTHN_ORIGIN",
    f"{_webauthn_url.scheme}://{_webauthn_host}"
    + (f":{_webauthn_url.port}" if _webauthn_url.port else ""),
).rstrip("/")
# Telegram (one bot per deployment, for the network named by TELEGRAM_NETWORK).
TELEGRAM_BOT_TOKEN = env_secret("TELEGRAM_BOT_TOKEN")
TELEGRAM_API_BASE = env("TELEGRAM_API_BASE") or "https://api.telegram.org"
TELEGRAM_WEBHOOK_SECRET = env_secret("TELEGRAM_WEBHOOK_SECRET")
TELEGRAM_NETWORK = env("TELEGRAM_NETWORK")
# Signal through signal-cli's REST API: best effort, never the only path. Keep the API
# on a private network: it has no authentication of its own.
SIGNAL_API_BASE = env("SIGNAL_API_BASE")
SIGNAL_NUMBER = env("SIGNAL_NUMBER")
SANDBOX_ENABLED = env_bool("AMPARO_SANDBOX", DEMO or TESTING)
# Which transport carries text messages — the ONE route every feature uses (alerts,
# verification, hotline, sign-up): the sandbox in the demo and tests, Twilio when it is
# configured, or what AMPARO_SMS_TRANSPORT says.
CHANNEL_ROUTES = {
    "sms": env(
        "AMPARO_SMS_TRANSPORT",
        "sandbox" if SANDBOX_ENABLED else ("twilio_sms" if TWILIO_ACCOUNT_SID else ""),
    ),
    # Phone calls (an escalation's voice call-outs): the sandbox phone rings in the demo
    # and tests ("Incoming call from Amparo"), Twilio when it is configured.
    "voice": env(
        "AMPARO_VOICE_TRANSPORT",
        "sandbox_voice" if SANDBOX_ENABLED else ("twilio_voice" if TWILIO_ACCOUNT_SID else ""),
    ),
}
DELIVERY_MAX_ATTEMPTS = env_int("AMPARO_DELIVERY_MAX_ATTEMPTS", 4)
# A message with no next channel (a reply, a confirmation) retries after 15, 30, 60 s…
# (half to all of each, at random), so a provider's bad minute does not exhaust its tries.
DELIVERY_RETRY_BASE_SECONDS = 15

# --- The outbox (amparo/channels/outbox.py): every message Amparo sends -----------
# What goes first on one sender (a number): lower is sooner. Live work — someone is
# waiting on it — outranks bulk (member alerts, drills) on the same number; a purpose
# not listed gets OUTBOX_DEFAULT_PRIORITY.
OUTBOX_PRIORITIES: dict[str, int] = {
    "verify": 0,  # a verification request (reports)
    "alert": 0,  # squad and legal call-outs, verification alerts
    "page": 0,  # coordinators paged by an escalation step
    "reply": 0,  # the answer to a text someone just sent
    "hotline-ring": 0,
    "hotline-activate": 0,
    "hotline-raid-report": 0,
    "hotline-voicemail": 0,
    "hotline-conversation": 0,
    "hotline-text-ack": 1,  # the automatic reply to a text: after live work, before bulk
    "hotline-referral": 0,
    "shift-swap": 0,
    "playbook-step": 0,  # a raid's playbook: its steps to their owners, overdue ones paged
    "playbook-overdue": 0,
    "signup-confirm": 0,
    "password-reset": 0,
    "alert-members": 2,
    "drill": 2,
}
OUTBOX_DEFAULT_PRIORITY = 1  # reminders and the rest: after live work, before bulk
# The app hook for a purpose (dotted path of a module with stop_reason, failover and
# failover_pending): what the engine cannot know, e.g. that an alert was answered.
OUTBOX_HOOKS: dict[str, str] = {
    "alert": "amparo.alerts.outbox",
    "alert-members": "amparo.alerts.outbox",
    "drill": "amparo.alerts.outbox",
}
# Tuning, each also settable as AMPARO_<NAME> holding JSON (tests and benchmarks tune
# worker processes that way), e.g. AMPARO_ALERT_RATE_PER_SECOND='{"twilio_sms": 1}'.
# Messages per second per transport (default: the transport's own rate_per_second).
ALERT_RATE_PER_SECOND: dict[str, float] = env_json("AMPARO_ALERT_RATE_PER_SECOND", {})
ALERT_MAX_ATTEMPTS: int = env_json("AMPARO_ALERT_MAX_ATTEMPTS", DELIVERY_MAX_ATTEMPTS)
ALERT_RETRY_BASE_SECONDS: float = env_json("AMPARO_ALERT_RETRY_BASE_SECONDS", 5)
ALERT_RETRY_CAP_SECONDS: float = env_json("AMPARO_ALERT_RETRY_CAP_SECONDS", 120)
# K failures of one transport within T seconds stop sending through it for a cooldown.
ALERT_CIRCUIT: dict[str, float] = env_json(
    "AMPARO_ALERT_CIRCUIT", {"failures": 5, "window_seconds": 30, "cooldown_seconds": 60}
)
# How many drains may send for one sender at once, across every worker process: one
# drain sends one message at a time (a claim, the provider's answer, the record), so a
# fast sender (100 texts/s) needs several to keep its rate. Each takes a worker thread
# while it sends: leave it at 1 with one worker process (its 2 threads stay free for
# escalation and the rest); a scale-out deployment sets it to its number of workers.
# A sender slower than one message per OUTBOX_SEND_SECONDS never gets more than one.
OUTBOX_DRAINS_PER_SENDER: int = env_json("AMPARO_OUTBOX_DRAINS_PER_SENDER", 1)
OUTBOX_SEND_SECONDS: float = env_json("AMPARO_OUTBOX_SEND_SECONDS", 0.04)
# A claim older than this (its send slot included) was abandoned by a dead worker.
ALERT_CLAIM_LEASE_SECONDS: float = env_json("AMPARO_ALERT_CLAIM_LEASE_SECONDS", 60)
# An alert text sent on these transports with no delivery receipt in this many minutes
# is failed over to the person's next channel.
ALERT_RECEIPT_MINUTES: float = env_json("AMPARO_ALERT_RECEIPT_MINUTES", 10)
ALERT_RECEIPT_TRANSPORTS: list[str] = env_json(
    "AMPARO_ALERT_RECEIPT_TRANSPORTS", ["twilio_sms", "twilio_voice"]
)
# A person's channel (their channel order) → the transport that carries it.
ALERT_CHANNEL_TRANSPORTS: dict[str, str] = env_json(
    "AMPARO_ALERT_CHANNEL_TRANSPORTS", {"sms": CHANNEL_ROUTES["sms"], "email": "email"}
)
# Escalation (amparo/alerts/escalation.py): a widen step (and a voice call-out) asks as
# many more people as the shortfall needs, divided by the share who usually say yes —
# this alert's so far once "min_sample" people were asked, else the network's over the
# last "days" days of call-outs of the same kind, else "default" — never below "floor"
# (0.1: at most 10 people per person missing), nearest first, at most "max_ask" a step.
ALERT_ESCALATION: dict[str, float] = {
    "floor": 0.1,
    "default": 0.3,
    "min_sample": 10,
    "days": 30,
    "max_ask": 500,
    **env_json("AMPARO_ALERT_ESCALATION", {}),  # e.g. '{"floor": 0.2}'
}

# The From address of alerts by email (empty: DEFAULT_FROM_EMAIL).
ALERT_FROM_EMAIL = ""

# --- The apps' settings ------------------------------------------------------------
# Read as settings.X, and nowhere else given a default; tests and the benchmarks
# override them. (at most this many, per this many seconds) for each rate limit.

# Public forms (amparo/people/antiabuse.py, amparo/reports/submit.py). Per client
# address and network; generous, since a whole meeting may post from one church's
# wifi or one carrier's shared address.
SIGNUP_RATE_LIMITS = ((30, 600), (200, 86400))
# posts without a proof of work (no JavaScript), per address and network, in addition
SIGNUP_NOJS_RATE_LIMITS = ((5, 600), (20, 86400))
# sign-ups naming one phone number or email, in any network (no texting someone over
# and over through the form)
SIGNUP_CONTACT_RATE_LIMITS = ((3, 3600), (6, 86400))
# confirmation texts per network (a cap on the bill if many addresses attack at once;
# over it, the sign-up is kept and a coordinator can confirm the person by hand)
SIGNUP_NETWORK_SMS_LIMITS = ((300, 3600),)
# the proof of work: leading zero bits (about a second on a cheap phone at 14), how
# long a challenge is valid, and how old it must be when posted without JavaScript
SIGNUP_POW_BITS = 14
SIGNUP_POW_MAX_AGE = 30 * 60
SIGNUP_NOJS_MIN_AGE = 5
# the public report form, per address and network; stricter without a proof of work
REPORT_RATE_LIMITS = ((20, 600), (100, 86400))
REPORT_NOJS_RATE_LIMITS = ((5, 600), (20, 86400))
# A flood (amparo/reports/flood.py): more than this many posts of a network's public
# report form within this many seconds. While one lasts (this window or the one
# before), the form's proof of work asks this many more bits (each bit doubles the
# work: 4 bits, about 16 s on a cheap phone instead of 1) and the per-address
# limits above give way to these stricter ones; they fall back one window after.
REPORT_FLOOD_THRESHOLD = (150, 600)
REPORT_FLOOD_POW_EXTRA_BITS = 4
REPORT_FLOOD_RATE_LIMITS = ((5, 600), (20, 86400))
REPORT_FLOOD_NOJS_RATE_LIMITS = ((2, 600), (6, 86400))
# Storage bounds for reports from the public (a stranger's form or text, not a member,
# the hotline, a responder or a number that reported truly before). One source (a
# client address, a texting number) stores at most REPORT_SOURCE_ROWS reports per
# window of seconds; its later reports are added to its last one, at most
# REPORT_APPEND_MAX_CHARS of added text in all (beyond that only counted). A network
# stores at most REPORT_PUBLIC_CAP such reports per window; past it, a new source is
# told to call the hotline or text the keyword. So per network and hour, at most
# REPORT_PUBLIC_CAP report rows (and as many incidents) come from strangers.
REPORT_SOURCE_ROWS = (3, 3600)
REPORT_APPEND_MAX_CHARS = 4000
REPORT_PUBLIC_CAP = (300, 3600)
# A known texting number (a member's, a true reporter's: never capped by the network's
# REPORT_PUBLIC_CAP) still stores at most this many reports per REPORT_SOURCE_ROWS window
# (a stolen or spoofed number cannot fill the console); and any number gets at most
# REPORT_TEXT_REPLIES answers to its REPORT texts per window of seconds.
REPORT_KNOWN_SOURCE_ROWS = 20
REPORT_TEXT_REPLIES = (1, 900)

# Exports of people (amparo/people/export_files.py): an approved export of more people
# than this is made by the worker, sealed in chunks under EXPORT_FILES_DIR, and its file
# deleted after the one download or when the approval expires; a smaller one is made
# in the download's request.
EXPORT_IMMEDIATE_MAX = env_int("AMPARO_EXPORT_IMMEDIATE_MAX", 1000)
EXPORT_FILES_DIR = DATA_DIR / "exports"

# Reports (amparo/reports/): a report joins an open incident this near in time and
# place; confirmed incidents at different workplaces this near on one day are a
# cluster; a reporter's phone number is kept this long; a verification request
# expires unanswered after this long.
REPORT_MERGE_MINUTES = 120
REPORT_MERGE_KM = 2.0
CLUSTER_KM = 80.0
REPORT_CONTACT_RETENTION_DAYS = 30
# Petitions (amparo/campaigns/): a petition's signing form has the report form's
# defences (a flood uses REPORT_FLOOD_POW_EXTRA_BITS and REPORT_FLOOD_*RATE_LIMITS, no JS
# REPORT_NOJS_RATE_LIMITS); per address and petition PETITION_RATE_LIMITS; a flood is
# more than PETITION_FLOOD_THRESHOLD posts in a window; a petition stores at most
# PETITION_SIGNATURE_CAP signatures per window. The signers' contacts are deleted
# PETITION_CONTACT_DAYS after the petition's delivery.
PETITION_RATE_LIMITS = ((10, 600), (30, 86400))
PETITION_FLOOD_THRESHOLD = (300, 600)
PETITION_SIGNATURE_CAP = (1000, 3600)
PETITION_CONTACT_DAYS = 30
# A number whose report a verifier confirmed is "known" for this many days after its
# last true report (kept as a keyed hash only; the retention purge forgets it after):
# its texts stay on top of the console during a flood.
REPORTER_TRUST_DAYS = 180
VERIFY_EXPIRY_MINUTES = 90
# The console's map tiles, e.g. "https://tiles.example.org/{z}/{x}/{y}.png" (empty: no
# tiles are fetched and the console draws a plain outline of the incidents' areas; the
# content security policy allows images from this server only when it is set; the
# dispatcher's browser asks it for the tiles around the incidents) and their credit line.
MAP_TILE_URL = env("AMPARO_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env("AMPARO_MAP_TILE_ATTRIBUTION", "")

# Alerts (amparo/alerts/): an alert's answer links work this long. A drill to more
# people than DRILL_APPROVAL_OVER (or to every member) waits for a second approver:
# 50 is the first tier of a real call-out (planning.plan_build's tier1_limit), so a
# drill that tests a rapid-response team fits under it; anything larger is a message
# to a crowd, and a second person should see it first.
ALERT_VALID_MINUTES = 120
DRILL_APPROVAL_OVER = env_int("AMPARO_DRILL_APPROVAL_OVER", 50)

# Hotline texts (amparo/hotline/conversations.py): someone who texts the hotline gets an
# immediate automatic reply (a responder will write back; in danger, call; their rights)
# once per HOTLINE_TEXT_ACK_HOURS for their number, never while a responder is writing
# with them; at most HOTLINE_TEXT_ACK_MAX_PER_HOUR such replies per network (a flood
# of texts from many numbers must not become a flood of texts out).
HOTLINE_TEXT_ACK_HOURS = env_int("AMPARO_HOTLINE_TEXT_ACK_HOURS", 12)
HOTLINE_TEXT_ACK_MAX_PER_HOUR = env_int("AMPARO_HOTLINE_TEXT_ACK_MAX_PER_HOUR", 300)

# Retention (amparo/core/retention.py): days kept, by rule kind, where a deployment
# keeps something longer or shorter than the rule says, e.g. {"hotline.intake": 180}.
RETENTION_DAYS: dict[str, int] = {}

# The demo's size (amparo/people/demo.py): a fraction of the full demo, 0.01 to 1.
try:
    DEMO_SCALE = max(0.01, min(1.0, float(env("AMPARO_DEMO_SCALE", "1"))))
except ValueError:
    DEMO_SCALE = 1.0

# --- Hooks: where an app calls an app above it (DESIGN.md "Layers") ----------------------
# Dotted paths, like core/sweeper.py's SWEEPS: the app below names no module above it.
# reports: an incident closed (or merged away): nothing more goes out for it
INCIDENT_CLOSED_HOOKS = ["amparo.alerts.services.incident_alerts_cancel"]
# reports: an incident confirmed by a verifier: its during/after playbook starts
INCIDENT_CONFIRMED_HOOKS = ["amparo.playbooks.services.playbook_start_for"]
# hotline: an intake whose outcome is a raid report (or activate) becomes a report
INTAKE_REPORT_HOOK = "amparo.reports.submit.report_from_intake"
# channels (Twilio): a hotline call's status callback; why Twilio's record of a call
# must stay for now (its voicemail); hotline calls that never reported their end; and
# a key pressed on an alert's phone call-out
TWILIO_CALL_STATUS_HOOK = "amparo.hotline.twilio_call.call_status"
TWILIO_CALL_HOLD_HOOK = "amparo.hotline.twilio_call.call_deletion_hold"
TWILIO_STALE_CALLS_HOOK = "amparo.hotline.twilio_call.stale_calls"
TWILIO_VOICE_ANSWER_HOOK = "amparo.alerts.answers.voice_answer"
# channels (sandbox phone): the names behind its numbers, and the numbers of a name
SANDBOX_NAMES_HOOK = "amparo.people.sandbox_names.names_for_numbers"
SANDBOX_SEARCH_HOOK = "amparo.people.sandbox_names.numbers_for_name"

# --- Inbound texts (amparo/channels/inbound.py) -----------------------------------
# Every text that arrives goes down this table, top to bottom: the first handler that
# claims it answers it (the others pass by returning None). (dotted path, what it claims):
# people: a person's calendar feed lists what each of these gives (people/calendar.py)
CALENDAR_SOURCES = [
    "amparo.hotline.ical.shift_events",
    "amparo.hearings.feed.hearing_events",
    "amparo.audits.feed.deadline_events",
]
INBOUND_HANDLERS = [
    ("amparo.people.optout.optout_inbound", "STOP/ALTO/BAJA…, START/ALTA: from anyone, first"),
    ("amparo.alerts.answers.alert_answer_inbound", "1/YES/SÍ, 2/NO, minutes, LLEGUÉ: open alert"),
    ("amparo.people.signup.signup_inbound", "YES/SÍ confirming a sign-up (an alert's YES wins)"),
    ("amparo.hotline.shifts.swaps.swap_inbound", "TAKE/TOMAR 4821: a shift asking for cover"),
    ("amparo.hearings.inbound.hearings_inbound", "CORTE/COURT 4821, RESULTADO/RESULT 4821"),
    ("amparo.reports.verification.verify_inbound", "CONFIRMADO/NO/NO SÉ [code]: a verifier"),
    ("amparo.playbooks.services.step_inbound", "PB1234 / LISTO PB1234: a playbook step is done"),
    ("amparo.people.events.events_inbound", "YES/SÍ, NO to an event invitation; NEXT/PRÓXIMO"),
    ("amparo.reports.sms.report_inbound", "REPORT/REPORTE …: the rest of the text is a report"),
    ("amparo.support.services.rota_inbound", "SLOT/APOYO 12: a volunteer takes a rota turn"),
    ("amparo.hotline.keywords.hotline_inbound", "HELP/AYUDA, else any text: a conversation"),
]

# --- Logging: never personal data (see amparo/lib/logging.py) -------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("AMPARO_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the request path of 404s; paths never carry personal data here,
        # but request bodies never reach a log.
        "django.request": {"level": "ERROR"},
        # at DEBUG, failed template lookups dump the whole context (decrypted names)
        "django.template": {"level": "INFO"},
        # run_huey gives the "huey" logger its own handler; do not print each line twice.
        "huey": {"level": "INFO", "propagate": False},
        # the twilio client logs each request and answer at INFO (numbers in its URLs)
        "twilio": {"level": "WARNING"},
    },
}

# --- Serving (`amparo run` / `amparo demo`) ---------------------------------------
HOST = env("AMPARO_HOST", "127.0.0.1")
PORT = env_int("AMPARO_PORT", 8000)
WEB_WORKERS = env_int("AMPARO_WEB_WORKERS", 1)
WEB_THREADS = env_int("AMPARO_WEB_THREADS", 4)
# The web process's GIL time slice in ms (Python's default 5): see amparo/core/buffered.py
WEB_GIL_SWITCH_MS = float(env("AMPARO_WEB_GIL_SWITCH_MS", "0.5"))
# Request bodies are read on the event loop before a thread sees them (amparo/core/
# buffered.py): seconds a body may go without a byte (and a minimum rate there), its largest size (the largest upload and the
# form around it: one number with the upload handler's, so a file just past its cap still
# reaches the form that says so and keeps what was typed), and uploads still arriving from
# one client (their memory: UPLOAD_MEMORY_BUDGET). Seconds for a request's headers (granian).
WEB_BODY_TIMEOUT = env_int("AMPARO_WEB_BODY_TIMEOUT", 30)
WEB_BODY_MAX_BYTES = FILE_UPLOAD_MAX_MEMORY_SIZE
WEB_BODIES_PER_CLIENT = env_int("AMPARO_WEB_BODIES_PER_CLIENT", 16)
WEB_HEADER_TIMEOUT = env_int("AMPARO_WEB_HEADER_TIMEOUT", 10)
