"""Gongzhi settings: one file, driven by environment variables.

Defaults give a one-machine install: SQLite under var/ in WAL mode, secrets
generated into var/ on first run. Set DATABASE_URL for PostgreSQL.
"""
import os
import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name, default=False):
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


def secret_from_var(env_name, filename, make):
    """An environment value, else one generated once into var/ and kept."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    path = VAR_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
    return path.read_text().strip()


SECRET_KEY = secret_from_var("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(50))
# Fernet key for personal data at rest; the keyed-hash key is derived from it.
DATA_KEY = secret_from_var(
    "GONGZHI_DATA_KEY", "data_key",
    lambda: __import__("cryptography.fernet", fromlist=["Fernet"]).Fernet.generate_key().decode(),
)
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "gongzhi.core",
    "gongzhi.accounts",
    "gongzhi.grid",
    "gongzhi.people",
    "gongzhi.orgs",
    "gongzhi.appeals",
    "gongzhi.signup",
    "gongzhi.notices",
    "gongzhi.lists",
    "gongzhi.stations",
    "gongzhi.care",
    "gongzhi.deliberation",
    "gongzhi.notifications",
    "gongzhi.open311",
    "gongzhi.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "gongzhi.core.middleware.InputTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gongzhi.accounts.middleware.MustChangePasswordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gongzhi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gongzhi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongzhi.accounts.context.roles",
                "gongzhi.accounts.display.context",
                "gongzhi.notifications.context.unread_count",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}"
# A server database keeps each process's connection between requests (a new PostgreSQL connection costs more
# than a whole appeal), checked before reuse so one the server dropped is replaced, not failed on. Each gunicorn
# worker and the task worker hold one. SQLite opens a file: nothing to keep.
_DEFAULT_CONN_MAX_AGE = "0" if DATABASE_URL.startswith("sqlite") else "600"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", _DEFAULT_CONN_MAX_AGE)),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL and foreign keys on every connection; IMMEDIATE so writers queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Sessions start in UTC, as Django wants them: otherwise every new connection costs a SET TIME ZONE round trip.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c timezone=UTC")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "gongzhi.accounts.backends.UsernameOrMobileBackend",
    "rules.permissions.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "gongzhi.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# 等保 level 3: lock after 5 failures, idle sessions end after 10 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# One count per account, whether the username or the mobile (in any spelling) was typed; a Chinese / JSON answer.
AXES_USERNAME_CALLABLE = "gongzhi.accounts.lockout.axes_username"
AXES_LOCKOUT_CALLABLE = "gongzhi.accounts.lockout.lockout_response"
AXES_ENABLED = envbool("AXES_ENABLED", True)
# Lock the account (by username), not the address: many staff share one office IP.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "600"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "gongzhi.core.views.csrf_failure"  # a Chinese page that says what happened to the form
API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", "12"))
# The idle rule for API tokens too: unused this long, a token ends (0: no idle limit). By default the session's.
API_TOKEN_IDLE_MINUTES = int(os.environ.get("API_TOKEN_IDLE_MINUTES", str(max(1, SESSION_COOKIE_AGE // 60))))


def envrate(name, default):
    """A rate limit such as "60/min" (number / [count] s, sec, m, min, h, hour, d or day); empty: no limit."""
    value = os.environ.get(name, default).strip()
    if value and not re.fullmatch(r"\d+/\d*(s|sec|m|min|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r}: expected a rate such as 60/min")
    return value


# The JSON API's rate limits (gongzhi.api.throttles), kept in the default cache (CACHES is not set: each process
# keeps its own counts). Token requests per client address; writes (POST, PUT, PATCH, DELETE) per user.
API_THROTTLE_LOGIN = envrate("API_THROTTLE_LOGIN", "60/min")
API_THROTTLE_WRITE = envrate("API_THROTTLE_WRITE", "3000/min")
API_THROTTLE_PUBLIC = envrate("API_THROTTLE_PUBLIC", "120/min")
# Reverse proxies in front of the app server that add X-Forwarded-For: with 0 the limits key on the connecting
# address (behind a proxy, the proxy's: one count for everyone), with n on the address the n-th proxy saw.
NINJA_NUM_PROXIES = int(os.environ.get("API_NUM_PROXIES", "0"))

# Text messages (gongzhi.accounts.sms): the class that sends them. The console sender writes them to the log;
# docs/sms.md shows how to plug in a gateway (gongzhi.accounts.sms.HttpSmsSender and its GONGZHI_SMS_HTTP).
GONGZHI_SMS_SENDER = os.environ.get("GONGZHI_SMS_SENDER", "gongzhi.accounts.sms.ConsoleSender")
# One-time codes for signing up and recovering a password (gongzhi.accounts.codes): how long one lasts, how many
# wrong tries end it, and how many may be asked for one number (and from one address) in an hour, at most one a
# minute per number. Counted in the database, so across processes.
ONE_TIME_CODE_MINUTES = int(os.environ.get("ONE_TIME_CODE_MINUTES", "10"))
ONE_TIME_CODE_ATTEMPTS = int(os.environ.get("ONE_TIME_CODE_ATTEMPTS", "5"))
ONE_TIME_CODES_PER_NUMBER_HOUR = int(os.environ.get("ONE_TIME_CODES_PER_NUMBER_HOUR", "5"))
ONE_TIME_CODES_PER_ADDRESS_HOUR = int(os.environ.get("ONE_TIME_CODES_PER_ADDRESS_HOUR", "20"))
ONE_TIME_CODE_INTERVAL_SECONDS = int(os.environ.get("ONE_TIME_CODE_INTERVAL_SECONDS", "60"))

# Finding a resident by a full ID number or mobile (and registering a number someone else holds) is a lookup:
# at most this many per user in any window of this many minutes, counted from the audit log (so across processes).
IDENTIFIER_LOOKUP_LIMIT = int(os.environ.get("IDENTIFIER_LOOKUP_LIMIT", "30"))
IDENTIFIER_LOOKUP_WINDOW_MINUTES = int(os.environ.get("IDENTIFIER_LOOKUP_WINDOW_MINUTES", "60"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gongzhi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "gongzhi" / "static", ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist")]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "gongzhi.static_vendor.VendorFileFinder",
]
# Single files of npm packages whose dist holds many builds (gongzhi/static_vendor.py).
STATIC_VENDOR_FILES = {"vendor/echarts/echarts.min.js": BASE_DIR / "node_modules" / "echarts" / "dist" / "echarts.min.js"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "media"}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# An .xlsx is a zip archive, checked before it is parsed (people.imports.files.check_archive): what it unpacks to,
# how far any part and the whole inflate (100x is Apache POI's default), how many parts it has, and how many
# texts its shared-string table holds (the reader loads that table whole; 90,000 residents make ~250,000).
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", str(150 * 1024 * 1024)))
IMPORT_MAX_RATIO = int(os.environ.get("IMPORT_MAX_RATIO", "100"))
IMPORT_MAX_ENTRIES = int(os.environ.get("IMPORT_MAX_ENTRIES", "1000"))
IMPORT_MAX_SHARED_STRINGS = int(os.environ.get("IMPORT_MAX_SHARED_STRINGS", "1000000"))
# Rows read from one file, and row errors kept on the job (the rest are counted): the job row, its page and
# GET /api/v1/imports/{id} stay small whatever the file.
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
IMPORT_MAX_ERRORS = int(os.environ.get("IMPORT_MAX_ERRORS", "500"))
# A running import that shows no progress this long is taken for one whose worker died (people.imports.jobs.fail_stale).
IMPORT_STALE_MINUTES = int(os.environ.get("IMPORT_STALE_MINUTES", "10"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# The worker (manage.py run_worker): a task left running by a worker not seen for this long is run again, and an
# e-mail or webhook delivery claimed this long ago but not marked done is sent again. Keep it above EMAIL_TIMEOUT
# and the webhook timeout (5 s), so that a send still in progress is never taken for abandoned.
TASK_RECLAIM_SECONDS = int(os.environ.get("TASK_RECLAIM_SECONDS", "60"))
# During a database outage the worker retries after 1, 2, 4 … seconds, at most this many.
WORKER_RETRY_MAX_SECONDS = int(os.environ.get("WORKER_RETRY_MAX_SECONDS", "30"))

# Appeals: a point outside every compound is routed to the nearest one within this distance.
APPEAL_NEAREST_COMPOUND_M = int(os.environ.get("APPEAL_NEAREST_COMPOUND_M", "300"))
# Any uploaded photo (an appeal's, a service record's), checked before decoding.
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
# Days after closing during which an unsatisfied reporter may reopen an appeal.
APPEAL_REOPEN_DAYS = int(os.environ.get("APPEAL_REOPEN_DAYS", "7"))
# Remind the handler this many hours before the resolve deadline; escalate further after this many overdue working days.
APPEAL_REMIND_HOURS = int(os.environ.get("APPEAL_REMIND_HOURS", "24"))
APPEAL_ESCALATE_AGAIN_WD = int(os.environ.get("APPEAL_ESCALATE_AGAIN_WD", "2"))
# POST /api/v1/appeals and Open311 POST requests keep the answer to a request with an Idempotency-Key this long.
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))
# Open311 GeoReport v2: the one jurisdiction this endpoint serves.
OPEN311_JURISDICTION = os.environ.get("OPEN311_JURISDICTION", "xincheng")
# Stations: a booker checks in by the room's QR code from this many minutes before the start; a confirmed booking
# nobody checked in to this many minutes after its start is a no-show and its room's time is free again.
STATION_CHECKIN_EARLY_MINUTES = int(os.environ.get("STATION_CHECKIN_EARLY_MINUTES", "15"))
STATION_NO_SHOW_GRACE_MINUTES = int(os.environ.get("STATION_NO_SHOW_GRACE_MINUTES", "15"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Seconds an SMTP exchange may take (Django's default waits for ever, longer than an e-mail's claim lasts).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
# Notifications: links in emails start with SITE_URL; webhooks may target loopback only in development and tests.
SITE_URL = os.environ.get("SITE_URL", "")
WEBHOOKS_ALLOW_LOOPBACK = envbool("WEBHOOKS_ALLOW_LOOPBACK", DEBUG)
# The daily digest (notifications.digest) is built at this local time (TIME_ZONE, HH:MM) for the events each
# person chose to hear of that way since the one before: the deadline watch's round (every five minutes under
# bin/serve) asks for it, so it arrives within minutes of this time.
NOTIFICATION_DIGEST_TIME = os.environ.get("NOTIFICATION_DIGEST_TIME", "08:00")

# Supports a compound's topic needs to go on the agenda of its deliberation (each topic keeps the number it was raised with).
DELIBERATION_TOPIC_THRESHOLD = int(os.environ.get("DELIBERATION_TOPIC_THRESHOLD", "10"))

# No personal identifier in any log (gongzhi/core/logs.py): every handler carries the masking filter. Django's
# own loggers are given these handlers (its defaults would print the runserver log and errors unfiltered).
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "gongzhi.core.logs.RedactIdentifiers"}},
    "formatters": {"server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}",
                              "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "server": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": "server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("HTTPS")
CSRF_COOKIE_SECURE = envbool("HTTPS")
