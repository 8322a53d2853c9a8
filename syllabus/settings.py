"""Syllabus settings: one module, every knob from the environment (documented in README.md)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from syllabus.core.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    redis_database_for_worker,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SYLLABUS_VAR_DIR", str(BASE_DIR / "var")))

SYLLABUS_ENV = env_choice("SYLLABUS_ENV", "development", ("development", "production", "test"))
PRODUCTION = SYLLABUS_ENV == "production"

_DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    # Refuse to start rather than run a production site with development defaults.
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ConfigError("SECRET_KEY: production needs its own secret key of at least 50 characters")
    if DEBUG:
        raise ConfigError("DEBUG: must be off when SYLLABUS_ENV=production")
    if not ALLOWED_HOSTS:
        raise ConfigError("ALLOWED_HOSTS: production needs the host names the site answers on")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_prometheus",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "syllabus.core",
    "syllabus.accounts",
    "syllabus.access",
    "syllabus.audit",
    "syllabus.web",
    "syllabus.audiences",
    "syllabus.skills",
    "syllabus.catalog",
    # The catalog's full-text index (its own migrations: FTS5 on SQLite, tsvector on PostgreSQL).
    "syllabus.catalog.search",
    # Activity kinds: each registers itself with catalog.activity_kinds in its AppConfig.ready().
    "syllabus.catalog.activity_kinds.page",
    "syllabus.catalog.activity_kinds.video",
    "syllabus.catalog.activity_kinds.file",
    "syllabus.catalog.activity_kinds.link",
    "syllabus.catalog.activity_kinds.acknowledgement",
    "syllabus.enrollment",
    "syllabus.progress",
    "syllabus.notifications",
    "syllabus.compliance",
    "syllabus.certificates",
    "syllabus.assessment",
    # The gradebook: grade items, categories, overrides and course grades of every graded activity.
    "syllabus.grades",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The client's address and browser, readable below the view (the audit trail records them).
    "syllabus.core.request_context.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but background polls (the notification bell) leave the session and its idle timeout alone.
    "syllabus.core.sessions.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "syllabus.accounts.middleware.CurrentOrganizationMiddleware",
    "syllabus.accounts.middleware.UserPreferencesMiddleware",
    "syllabus.accounts.middleware.TwoFactorMiddleware",
    # Overdue people in a program with gating are sent to their compliance page first (one indexed query).
    "syllabus.compliance.middleware.ComplianceGateMiddleware",
    "syllabus.accounts.middleware.UserSessionMiddleware",
    # Axes turns a lockout into its response: last but for Prometheus' closing counter, so it wraps the view.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "syllabus.urls"
WSGI_APPLICATION = "syllabus.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "syllabus.web.context.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'syllabus.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0, minimum=0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server, worker and scheduler read while one of them writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, background work ------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and SYLLABUS_ENV == "test" and os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers each get their own Redis database: a test's cache.clear() is a FLUSHDB, which would
    # otherwise wipe what another worker's test has just cached (a key prefix doesn't help: FLUSHDB ignores it).
    REDIS_URL = redis_database_for_worker(REDIS_URL, os.environ["PYTEST_XDIST_WORKER"])
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "syllabus"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu otherwise puts its broadcast (control) exchange files in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", SYLLABUS_ENV == "test")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# "Worker alive at T", shown by /readyz. Expires so a stopped worker does not find a backlog of heartbeats.
CELERY_BEAT_SCHEDULE["core-heartbeat"] = {
    "task": "syllabus.core.tasks.heartbeat",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# The head of every audit chain copied into an anchor row and the log: truncating a chain below it is detected.
# Timed quiz attempts left open past their deadline are submitted with what was saved in time.
CELERY_BEAT_SCHEDULE["assessment-close-overdue"] = {
    "task": "syllabus.assessment.tasks.close_overdue",
    "schedule": 60.0,
    "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["audit-anchor"] = {
    "task": "syllabus.audit.tasks.anchor_chains",
    "schedule": crontab(minute=5),
    "options": {"expires": 55 * 60},
}
# Audiences with time-based rules ("hired within 30 days") change with the date alone: recompute them nightly.
CELERY_BEAT_SCHEDULE["audiences-time-based"] = {
    "task": "syllabus.audiences.tasks.recompute_time_based",
    "schedule": crontab(hour=2, minute=15),
    "options": {"expires": 6 * 60 * 60},
}
# Audience enrollment rules run when audiences change; nightly, every rule is applied again to catch up.
CELERY_BEAT_SCHEDULE["enrollment-rules"] = {
    "task": "syllabus.enrollment.tasks.apply_all_rules",
    "schedule": crontab(hour=2, minute=45),
    "options": {"expires": 6 * 60 * 60},
}
# Notifications held for quiet hours or a digest, retries, and deliveries whose queued task was lost.
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "syllabus.notifications.tasks.sweep",
    "schedule": 60.0,
    "options": {"expires": 55},
}
# Ended sign-in sessions and the staged rows of finished HR imports are deleted after 30 days.
# After the audiences (02:15) and enrollment rules (02:45): assignments follow today's audiences; statuses turn
# over (due soon, overdue, expired) and reminders go out once a day.
CELERY_BEAT_SCHEDULE["compliance-daily"] = {
    "task": "syllabus.compliance.tasks.daily",
    "schedule": crontab(hour=3, minute=0),
    "options": {"expires": 6 * 60 * 60},
}
# After compliance (03:00), whose recertifications issue certificates: PDFs still pending are drawn, and holders
# of certificates about to expire are reminded (each reminder once).
CELERY_BEAT_SCHEDULE["certificates-daily"] = {
    "task": "syllabus.certificates.tasks.daily",
    "schedule": crontab(hour=3, minute=15),
    "options": {"expires": 6 * 60 * 60},
}
CELERY_BEAT_SCHEDULE["accounts-prune"] = {
    "task": "syllabus.accounts.tasks.prune_stale_records",
    "schedule": crontab(hour=3, minute=30),
    "options": {"expires": 6 * 60 * 60},
}
CELERY_BEAT_SCHEDULE["grades-prune-import-stashes"] = {
    "task": "grades.prune_import_stashes",
    "schedule": crontab(hour=3, minute=40),
    "options": {"expires": 6 * 60 * 60},
}

# --- auth and security ------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "syllabus.accounts.security.passwords.PersonalDataValidator"},
]
# Account security (accounts/security): lockout (django-axes), two-factor sign-in (django-otp), password reset.
# The lockout backend comes first: it refuses a locked-out email before any password is checked.
AUTHENTICATION_BACKENDS = [
    "syllabus.accounts.security.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
# "username": N failures for one email lock it from everywhere (offices share one IP behind NAT, and a spread-out
# guessing attack is stopped); "username_ip": only that email from that address is locked; "username_or_ip": also
# N failures from one address lock that address (stops one machine trying a password on many emails, but everyone
# behind the same office address shares the count).
AXES_LOCKOUT_BY = env_choice("AXES_LOCKOUT_BY", "username", ("username", "username_ip", "username_or_ip"))
_LOCKOUT_PARAMETERS: dict[str, list[str | list[str]]] = {
    "username": ["username"],
    "username_ip": [["username", "ip_address"]],
    "username_or_ip": ["username", "ip_address"],
}
AXES_LOCKOUT_PARAMETERS = _LOCKOUT_PARAMETERS[AXES_LOCKOUT_BY]
if AXES_LOCKOUT_BY == "username":
    # axes warns when the address is not a lockout parameter; locking by email alone is the documented choice above.
    SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "syllabus.accounts.security.lockout.username_of"
AXES_CLIENT_IP_CALLABLE = "syllabus.accounts.security.client.client_ip"
AXES_LOCKOUT_CALLABLE = "syllabus.accounts.security.lockout.lockout_response"
# The cool-off runs from the failure that locked: attempts while locked are refused, not counted.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Our audit trail records sign-ins; axes' own per-login table would only grow.
AXES_DISABLE_ACCESS_LOG = True
# Proxies in front of the web server that append to X-Forwarded-For (0: use the connection's address).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
OTP_TOTP_ISSUER = env_str("SYLLABUS_PLATFORM_NAME", "Syllabus")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 24 * 60 * 60, minimum=5 * 60)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # idle timeout: the session expires SESSION_COOKIE_AGE after the last request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- i18n --------------------------------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "syllabus" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- files -------------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start-up when the folder is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
LOGO_MAX_BYTES = env_int("LOGO_MAX_BYTES", 1024 * 1024, minimum=1024)
# HR import (accounts/hr_import): the largest file, the most rows, the default full-sync deactivation threshold (%)
# and how many row errors a job keeps for its report (the count is always exact).
HR_IMPORT_MAX_BYTES = env_int("HR_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
HR_IMPORT_MAX_ROWS = env_int("HR_IMPORT_MAX_ROWS", 200_000, minimum=1)
HR_IMPORT_DEFAULT_THRESHOLD_PERCENT = env_int("HR_IMPORT_DEFAULT_THRESHOLD_PERCENT", 10, minimum=0, maximum=100)
HR_IMPORT_MAX_REPORTED_ERRORS = env_int("HR_IMPORT_MAX_REPORTED_ERRORS", 10_000, minimum=1)
# Course uploads (catalog/uploads.py): the largest file per purpose, and the most pixels an image may have
# (checked from its header before decoding: a tiny PNG may claim 100000 x 100000 pixels).
UPLOAD_MAX_IMAGE_MB = env_int("UPLOAD_MAX_IMAGE_MB", 10, minimum=1)
UPLOAD_MAX_VIDEO_MB = env_int("UPLOAD_MAX_VIDEO_MB", 500, minimum=1)
UPLOAD_MAX_DOCUMENT_MB = env_int("UPLOAD_MAX_DOCUMENT_MB", 50, minimum=1)
UPLOAD_MAX_CAPTIONS_KB = env_int("UPLOAD_MAX_CAPTIONS_KB", 512, minimum=1)
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000, minimum=1)

# --- email -------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "syllabus@localhost")
# The mail server, for EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend (EMAIL_HOST_PASSWORD_FILE works too).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL: choose one (STARTTLS on 587, or TLS from the start on 465)")
# Seconds each exchange with the mail server may take. A hung connection must fail (and be retried) long before the
# worker's claim on the delivery goes stale (notifications.delivery.STALE_CLAIM, 10 minutes) and another worker sends
# it again; one send is about eight exchanges, hence the ceiling.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1, maximum=60)
# Where people reach this Syllabus: links in emails are made absolute with it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Public certificate verification, per client IP and minute: the page, its upload form, and the API endpoint.
CERTIFICATES_VERIFY_PAGE_RATE = env_int("CERTIFICATES_VERIFY_PAGE_RATE", 120, minimum=1)
CERTIFICATES_VERIFY_UPLOAD_RATE = env_int("CERTIFICATES_VERIFY_UPLOAD_RATE", 30, minimum=1)
CERTIFICATES_VERIFY_API_RATE = env_int("CERTIFICATES_VERIFY_API_RATE", 30, minimum=1)
# Quizzes: seconds after a timed attempt's deadline during which a save or submission still counts (network lag).
QUIZ_GRACE_SECONDS = env_int("QUIZ_GRACE_SECONDS", 10, minimum=0)
# The largest file a learner may hand in to an assignment (an author may set a lower limit per assignment).
ASSIGNMENT_MAX_FILE_MB = env_int("ASSIGNMENT_MAX_FILE_MB", 50, minimum=1)

# --- REST API ----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "syllabus.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's own three, but JSON that nests too deeply is a 400 rather than a 500 (syllabus.core.parsers.JSONParser).
    "DEFAULT_PARSER_CLASSES": [
        "syllabus.core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "syllabus.core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "syllabus.core.api.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Syllabus API",
    "DESCRIPTION": "REST API of Syllabus, the open-source enterprise LMS. Authenticate with a session or with "
    "`Authorization: Token <key>` (a personal API token, bound to one organisation membership).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choice fields that share a name with another app's ("kind", "state"): one named enum each.
    "ENUM_NAME_OVERRIDES": {
        "ExemptionKindEnum": "syllabus.compliance.models.Exemption.Kind",
        "ExemptionStateEnum": "syllabus.compliance.models.Exemption.State",
        "ReviewRequestStateEnum": "syllabus.catalog.models.ReviewRequest.State",
    },
}

# --- logging -----------------------------------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper()
LOG_FORMAT = env_choice("LOG_FORMAT", "json" if PRODUCTION else "console", ("json", "console"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "syllabus.core.logging.JsonFormatter"},
        "console": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"default": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["default"], "level": LOG_LEVEL},
    # axes logs every sign-in at INFO; our audit trail records them (failures still log as warnings).
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Syllabus ---------------------------------------------------------------------------------------------
SYLLABUS_PLATFORM_NAME = env_str("SYLLABUS_PLATFORM_NAME", "Syllabus")
# Bearer token Prometheus must send to /metrics; without one, production does not serve metrics at all.
METRICS_TOKEN = env_str("METRICS_TOKEN")
