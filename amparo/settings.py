"""The one settings file. Everything a deployment changes comes from the environment.

Every variable is documented in README.md ("Configuration"). Secrets may be given as
``X`` or as ``X_FILE`` (a path whose contents are the secret): amparo/lib/env.py.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from amparo.lib.env import env, env_bool, env_int, env_json, env_list, env_secret

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent

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

# Keys for protected fields, checked at start-up (amparo.lib.crypto.keys); never in the DB.
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
            ]
        },
    }
]

# --- Database ---------------------------------------------------------------
DATABASE_URL = env_secret("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
        # Server-side prepared statements for the few that ask (amparo/lib/prepared.py),
        # planned once: their id lists are fixed-size stand-ins (issue 16).
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["prepare_threshold"] = 5
        _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode=force_generic_plan"
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
    # Each request thread keeps its connection, as on PostgreSQL (opening one: ~6 ms).
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if TESTING:
        # A file (tests read the bytes on disk), one per process (parallel runs never share).
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
# "Forgot password" (amparo/core/password_reset.py): (at most, per seconds) per address, account.
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
# A refused CSRF check speaks the person's language; the report form comes back as typed.
CSRF_FAILURE_VIEW = "amparo.core.errors.csrf_failure"

# --- Caches and login lockout (amparo/accounts/lockout.py; README "Internal settings") ---
CACHE_URL = env_secret("AMPARO_CACHE_URL")
CACHES: dict[str, dict] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
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
# Lock a pair (account, address): one address cannot lock everybody out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field (an email)
# Only keyed hashes reach the cache (email's blind index, hashed address).
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
# Uploads stay in memory, never in a temporary file (README "Internal settings").
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
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
# Our formats over Django's (amparo/lib/formats/): English times as "3:05 PM", not "p.m.".
FORMAT_MODULE_PATH = ["amparo.lib.formats"]

# --- Static files -------------------------------------------------------------
# WhiteNoise: content-hashed names cached a year (README "Internal settings").
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
    # No mail server: no mail, never written to disk in clear; each drop is logged.
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
_huey_file = f"huey-test-{os.getpid()}.sqlite3" if TESTING else "huey.sqlite3"
if HUEY_URL.startswith(("redis://", "rediss://", "unix://")):
    _huey_backend: dict = {"huey_class": "huey.RedisHuey", "url": HUEY_URL}
elif HUEY_URL.startswith(("postgres://", "postgresql://")):
    _huey_db = "psycopg3://" + HUEY_URL.split("://", 1)[1]
    _huey_backend = {"huey_class": "huey.contrib.sql_huey.SqlHuey", "database": _huey_db}
elif HUEY_URL in {"", "sqlite"} or HUEY_URL.startswith("sqlite:"):
    _path = HUEY_URL.split(":", 1)[1] if HUEY_URL.startswith("sqlite:") else ""
    _huey_backend = {  # synchronous=NORMAL, like the DB
        "huey_class": "amparo.lib.queue.SqliteHuey",
        "filename": _path or str(DATA_DIR / _huey_file),
    }
elif HUEY_URL != "memory":
    raise ImproperlyConfigured(
        "AMPARO_HUEY_URL must be empty (SQLite), sqlite:PATH, redis://…, postgres://… or memory."
    )
if HUEY_URL == "memory":
    HUEY: dict = {"name": "amparo", "huey_class": "huey.MemoryHuey", "immediate": True}
else:
    HUEY = {"name": "amparo", "immediate": False, "consumer": _huey_consumer, **_huey_backend}

# Behind a proxy: the client's address header, believed only from TRUSTED_PROXIES.
CLIENT_ADDRESS_HEADER = env("AMPARO_CLIENT_ADDRESS_HEADER", "")
TRUSTED_PROXIES = env_list("AMPARO_TRUSTED_PROXIES", "127.0.0.1,::1")

# --- Channels -----------------------------------------------------------------
# Twilio (voice and SMS). With no auth token, every Twilio endpoint refuses every request.
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER")
# Only for tests and the benchmark: where the twilio client sends its API requests.
TWILIO_API_BASE = env("AMPARO_TWILIO_API_BASE")
PUBLIC_URL = env("AMPARO_PUBLIC_URL", BASE_URL).rstrip("/")
# Passkeys (WebAuthn): a host name, never an IP; loopback becomes localhost (the demo).
_webauthn_url = urlsplit(PUBLIC_URL)
_webauthn_host = _webauthn_url.hostname or "localhost"
if _webauthn_host in ("127.0.0.1", "::1"):
    _webauthn_host = "localhost"
WEBAUTHN_RP_ID = env("AMPARO_WEBAUTHN_RP_ID", _webauthn_host)
# Calendar feeds: the domain in each event's UID (RFC 5545: persistent; never the request's).
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
# Signal through signal-cli's REST API: best effort; keep it on a private network.
SIGNAL_API_BASE = env("SIGNAL_API_BASE")
SIGNAL_NUMBER = env("SIGNAL_NUMBER")
SANDBOX_ENABLED = env_bool("AMPARO_SANDBOX", DEMO or TESTING)
# The ONE route every feature's texts (and calls) take: sandbox, Twilio or the env's.
CHANNEL_ROUTES = {
    "sms": env(
        "AMPARO_SMS_TRANSPORT",
        "sandbox" if SANDBOX_ENABLED else ("twilio_sms" if TWILIO_ACCOUNT_SID else ""),
    ),
    # an escalation's voice call-outs
    "voice": env(
        "AMPARO_VOICE_TRANSPORT",
        "sandbox_voice" if SANDBOX_ENABLED else ("twilio_voice" if TWILIO_ACCOUNT_SID else ""),
    ),
}
DELIVERY_MAX_ATTEMPTS = env_int("AMPARO_DELIVERY_MAX_ATTEMPTS", 4)
# A message with no next channel retries after 15, 30, 60 s… (jittered).
DELIVERY_RETRY_BASE_SECONDS = 15

# --- The outbox (amparo/channels/outbox.py): every message Amparo sends -----------
# What goes first on one sender (a number): lower is sooner; live work before bulk.
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
# A purpose's app hook: a module with stop_reason, failover and failover_pending.
OUTBOX_HOOKS: dict[str, str] = {
    "alert": "amparo.alerts.outbox",
    "alert-members": "amparo.alerts.outbox",
    "drill": "amparo.alerts.outbox",
}
# Tuning, each also settable as AMPARO_<NAME> holding JSON (README "Configuration").
ALERT_RATE_PER_SECOND: dict[str, float] = env_json("AMPARO_ALERT_RATE_PER_SECOND", {})
ALERT_MAX_ATTEMPTS: int = env_json("AMPARO_ALERT_MAX_ATTEMPTS", DELIVERY_MAX_ATTEMPTS)
ALERT_RETRY_BASE_SECONDS: float = env_json("AMPARO_ALERT_RETRY_BASE_SECONDS", 5)
ALERT_RETRY_CAP_SECONDS: float = env_json("AMPARO_ALERT_RETRY_CAP_SECONDS", 120)
# K failures of one transport within T seconds stop sending through it for a cooldown.
ALERT_CIRCUIT: dict[str, float] = env_json(
    "AMPARO_ALERT_CIRCUIT", {"failures": 5, "window_seconds": 30, "cooldown_seconds": 60}
)
# Drains per sender across all workers (README "Internal settings").
OUTBOX_DRAINS_PER_SENDER: int = env_json("AMPARO_OUTBOX_DRAINS_PER_SENDER", 1)
OUTBOX_SEND_SECONDS: float = env_json("AMPARO_OUTBOX_SEND_SECONDS", 0.04)
# A claim older than this (its send slot included) was abandoned by a dead worker.
ALERT_CLAIM_LEASE_SECONDS: float = env_json("AMPARO_ALERT_CLAIM_LEASE_SECONDS", 60)
# No delivery receipt in this many minutes on these transports: the next channel.
ALERT_RECEIPT_MINUTES: float = env_json("AMPARO_ALERT_RECEIPT_MINUTES", 10)
ALERT_RECEIPT_TRANSPORTS: list[str] = env_json(
    "AMPARO_ALERT_RECEIPT_TRANSPORTS", ["twilio_sms", "twilio_voice"]
)
# A person's channel (their channel order) → the transport that carries it.
ALERT_CHANNEL_TRANSPORTS: dict[str, str] = env_json(
    "AMPARO_ALERT_CHANNEL_TRANSPORTS", {"sms": CHANNEL_ROUTES["sms"], "email": "email"}
)
# Escalation's widen step (amparo/alerts/escalation.py; README "Internal settings").
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

# --- The apps' settings (README "Internal settings") ---------------------------------
# Read as settings.X only. Rate limits: (at most this many, per this many seconds).
# Public forms (amparo/people/antiabuse.py, amparo/reports/submit.py): per address, network
SIGNUP_RATE_LIMITS = ((30, 600), (200, 86400))
# posts without a proof of work (no JavaScript), per address and network, in addition
SIGNUP_NOJS_RATE_LIMITS = ((5, 600), (20, 86400))
# sign-ups naming one phone number or email, in any network
SIGNUP_CONTACT_RATE_LIMITS = ((3, 3600), (6, 86400))
# confirmation texts per network (a cap on the bill)
SIGNUP_NETWORK_SMS_LIMITS = ((300, 3600),)
# the proof of work: leading zero bits, a challenge's life, its least age without JS
SIGNUP_POW_BITS = 14
SIGNUP_POW_MAX_AGE = 30 * 60
SIGNUP_NOJS_MIN_AGE = 5
# the public report form, per address and network; stricter without a proof of work
REPORT_RATE_LIMITS = ((20, 600), (100, 86400))
REPORT_NOJS_RATE_LIMITS = ((5, 600), (20, 86400))
# A flood (amparo/reports/flood.py): more proof of work and stricter limits meanwhile.
REPORT_FLOOD_THRESHOLD = (150, 600)
REPORT_FLOOD_POW_EXTRA_BITS = 4
REPORT_FLOOD_RATE_LIMITS = ((5, 600), (20, 86400))
REPORT_FLOOD_NOJS_RATE_LIMITS = ((2, 600), (6, 86400))
# Storage bounds for reports from the public (README "Internal settings").
REPORT_SOURCE_ROWS = (3, 3600)
REPORT_APPEND_MAX_CHARS = 4000
REPORT_PUBLIC_CAP = (300, 3600)
# A known number's reports per REPORT_SOURCE_ROWS window; answers to REPORT texts.
REPORT_KNOWN_SOURCE_ROWS = 20
REPORT_TEXT_REPLIES = (1, 900)

# Exports of people (amparo/people/export_files.py): larger ones are made by the worker.
EXPORT_IMMEDIATE_MAX = env_int("AMPARO_EXPORT_IMMEDIATE_MAX", 1000)
EXPORT_FILES_DIR = DATA_DIR / "exports"
# texts to one approver that an export waits, per network (the rest: their home page)
EXPORT_WAITING_TEXTS = (1, 30 * 60)

# Reports (amparo/reports/): merging into incidents, clusters, contact retention.
REPORT_MERGE_MINUTES = 120
REPORT_MERGE_KM = 2.0
CLUSTER_KM = 80.0
REPORT_CONTACT_RETENTION_DAYS = 30
# Petitions (amparo/campaigns/): the report form's defences plus these.
PETITION_RATE_LIMITS = ((10, 600), (30, 86400))
PETITION_FLOOD_THRESHOLD = (300, 600)
PETITION_SIGNATURE_CAP = (1000, 3600)
PETITION_CONTACT_DAYS = 30
# A number whose report was confirmed is "known" this many days (a keyed hash only).
REPORTER_TRUST_DAYS = 180
VERIFY_EXPIRY_MINUTES = 90
# The console's map tiles and their credit line (README "Configuration").
MAP_TILE_URL = env("AMPARO_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env("AMPARO_MAP_TILE_ATTRIBUTION", "")

# Alerts (amparo/alerts/): answer links' life; drills over this wait for a 2nd approver.
ALERT_VALID_MINUTES = 120
DRILL_APPROVAL_OVER = env_int("AMPARO_DRILL_APPROVAL_OVER", 50)

# Hotline texts' automatic reply (amparo/hotline/conversations.py; README "Configuration").
HOTLINE_TEXT_ACK_HOURS = env_int("AMPARO_HOTLINE_TEXT_ACK_HOURS", 12)
HOTLINE_TEXT_ACK_MAX_PER_HOUR = env_int("AMPARO_HOTLINE_TEXT_ACK_MAX_PER_HOUR", 300)

# Retention (amparo/core/retention.py): days by rule kind, e.g. {"hotline.intake": 180}.
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
# channels (Twilio): call status; why a call's record stays; stale calls; a key pressed
TWILIO_CALL_STATUS_HOOK = "amparo.hotline.twilio_call.call_status"
TWILIO_CALL_HOLD_HOOK = "amparo.hotline.twilio_call.call_deletion_hold"
TWILIO_STALE_CALLS_HOOK = "amparo.hotline.twilio_call.stale_calls"
TWILIO_VOICE_ANSWER_HOOK = "amparo.alerts.answers.voice_answer"
# channels (sandbox phone): the names behind its numbers, and the numbers of a name
SANDBOX_NAMES_HOOK = "amparo.people.sandbox_names.names_for_numbers"
SANDBOX_SEARCH_HOOK = "amparo.people.sandbox_names.numbers_for_name"

# --- Inbound texts (amparo/channels/inbound.py) -----------------------------------
# people: a person's calendar feed lists what each of these gives (people/calendar.py)
CALENDAR_SOURCES = [
    "amparo.hotline.ical.shift_events",
    "amparo.hearings.feed.hearing_events",
    "amparo.audits.feed.deadline_events",
]
# Every text goes down this table: the first handler that claims it answers it (the
# others return None). (dotted path, what it claims):
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
HOST, PORT = env("AMPARO_HOST", "127.0.0.1"), env_int("AMPARO_PORT", 8000)
# Python: a core each. The web processes' uploads share one budget (README).
WEB_WORKERS = env_int("AMPARO_WEB_WORKERS", min(4, len(os.sched_getaffinity(0))))
UPLOAD_MEMORY_BUDGET = env_int("AMPARO_UPLOAD_MEMORY_MB", 128) * 2**20 // max(1, WEB_WORKERS)
WEB_THREADS = env_int("AMPARO_WEB_THREADS", 4)
# The web process's GIL time slice in ms (0: Python's own, 5): see amparo/core/buffered.py
try:
    WEB_GIL_SWITCH_MS = float(env("AMPARO_WEB_GIL_SWITCH_MS", "").strip() or "0.5")
except ValueError:
    WEB_GIL_SWITCH_MS = -1.0
if not 0 <= WEB_GIL_SWITCH_MS <= 1000:  # also NaN
    raise ImproperlyConfigured(
        "AMPARO_WEB_GIL_SWITCH_MS must be a number of milliseconds up to 1000 "
        "(0: Python's default), not " + repr(env("AMPARO_WEB_GIL_SWITCH_MS")) + "."
    )
# Request bodies are read on the event loop before a thread sees them (amparo/core/
# buffered.py): seconds a body may go without a byte (and a minimum rate there), its largest size (the largest upload and the
# form around it: one number with the upload handler's, so a file just past its cap still
# reaches the form that says so and keeps what was typed), and uploads still arriving from
# one client (their memory: UPLOAD_MEMORY_BUDGET). Seconds for a request's headers (granian).
WEB_BODY_TIMEOUT = env_int("AMPARO_WEB_BODY_TIMEOUT", 30)
WEB_BODY_MAX_BYTES = FILE_UPLOAD_MAX_MEMORY_SIZE
WEB_BODIES_PER_CLIENT = env_int("AMPARO_WEB_BODIES_PER_CLIENT", 16)
WEB_HEADER_TIMEOUT = env_int("AMPARO_WEB_HEADER_TIMEOUT", 10)
