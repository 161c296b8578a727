"""AskTogether settings, read from the environment (see .env.example).

Development and production differ only in their environment. With no
``DATABASE_URL`` the project uses SQLite under ``var/``; with no ``REDIS_URL`` it
starts (or reuses) an embedded Redis under ``var/redis/``.
"""

import sys
import zoneinfo
from pathlib import Path

import environ
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured
from django_celery_beat.tzcrontab import TzAwareCrontab

from consortium import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("ASKTOGETHER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="insecure-development-key-change-me" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this service, used in embed snippets and emails.
SITE_URL = env.str(
    "SITE_URL", default=f"http://localhost:{env.int('PORT', default=8000)}"
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "auditlog",
    "anymail",
    "django_prose_editor",
    "csp",
    "simple_history",
    "consortium",
    "chat",
    "scheduling",
    "knowledgebase",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "consortium.urls"
WSGI_APPLICATION = "consortium.wsgi.application"
ASGI_APPLICATION = "consortium.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat processes share the file: WAL lets readers run beside
    # the writer, IMMEDIATE transactions take the write lock up front instead of
    # failing half-way, and the timeout waits out a busy writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # PostgreSQL: a connection pool per process. Under ASGI every HTTP request
    # runs in a thread of its own, so persistent connections (CONN_MAX_AGE)
    # are opened per request and linger until their thread is collected: under
    # load PostgreSQL soon refuses more clients. Requests and socket events
    # borrow a pooled connection instead and give it back when done.
    # DATABASE_POOL_SIZE=0 turns the pool off; CONN_MAX_AGE then applies.
    DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=20)
    if DATABASE_POOL_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": DATABASE_POOL_SIZE,
            "timeout": 10,
        }
    else:
        DATABASES["default"].setdefault(
            "CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60)
        )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# In an ASGI process the event loop and the database threads share the GIL;
# a thread back from PostgreSQL waits for the running one to yield it, for up
# to this long. A chat message is one round trip now, and a shorter interval
# (0.5 ms was tried) made the threads trade the GIL ten times as often: a
# burst of new chats then cost a third more CPU (docs/performance.md).
sys.setswitchinterval(env.float("GIL_SWITCH_INTERVAL", default=0.005))

# --- Redis: channel layer, cache, Celery broker ---------------------------
REDIS_URL = env.str("REDIS_URL", default="") or embedded_redis.ensure(VAR_DIR / "redis")

CHANNEL_LAYERS = {
    "default": {
        # Redis pub/sub: a group send is one PUBLISH, and each process holds
        # one subscription per group its sockets are in. Nothing is queued in
        # Redis for a process that is gone: the database is the truth and a
        # client that reconnects re-reads what it missed (docs/chat-protocol.md).
        # The list-based `channels_redis.core` layer costs several round trips
        # and a Lua script per send and per receive: at 500 chats it fell
        # behind until events expired (docs/performance.md).
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL}],
            "prefix": env.str("CHANNELS_PREFIX", default="asgi"),
        },
    }
}
CACHES = {
    "default": {
        "BACKEND": "consortium.cache.SharedPoolRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_PREFIX", default="asktogether"),
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Write last_run_at after every task beat sends, so /healthz can tell that beat ticks.
CELERY_BEAT_SYNC_EVERY = 1
BEAT_HEARTBEAT_SECONDS = env.int("BEAT_HEARTBEAT_SECONDS", default=15)
CELERY_BEAT_SCHEDULE = {
    "beat-heartbeat": {
        "task": "consortium.tasks.beat_heartbeat",
        "schedule": BEAT_HEARTBEAT_SECONDS,
        "options": {"expires": BEAT_HEARTBEAT_SECONDS},
    },
    "long-closures-sweep": {
        "task": "consortium.tasks.long_closures_sweep",
        "schedule": 15 * 60,
    },
    "chat-timers": {
        "task": "chat.tasks.timers_fire",
        "schedule": 1.0,
        "options": {"expires": 2},
    },
    "presence-expire": {
        "task": "consortium.tasks.presence_expire",
        "schedule": 30,
    },
    "tickets-sla": {
        "task": "chat.tasks.tickets_sla_sweep",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "schedule-sweep": {
        "task": "scheduling.tasks.schedule_sweep",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "shifts-sync": {
        "task": "scheduling.tasks.shifts_sync",
        "schedule": 3600,
    },
    "kb-review-reminders": {
        "task": "knowledgebase.tasks.review_reminders_sweep",
        "schedule": 3600,
    },
}

# --- Auth -------------------------------------------------------------------
AUTH_USER_MODEL = "consortium.Staff"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Email ----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="AskTogether <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Email tickets (SPEC T3). Replies to patrons come from this address with
# "+t<ticket>.<token>" added, so the patron's answer threads back: its domain
# must deliver to this system (provider webhook, IMAP mailbox or a pipe into
# `manage.py receive_email`).
TICKET_REPLY_ADDRESS = env.str("TICKET_REPLY_ADDRESS", default="ask@tickets.localhost")
# Inbound mail through a provider's webhook (django-anymail; Mailgun here):
# POST /anymail/mailgun/inbound/ signed with MAILGUN_WEBHOOK_SIGNING_KEY.
ANYMAIL = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": env.str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "MAILGUN_API_KEY": env.str("MAILGUN_API_KEY", default=""),
    "WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="") or None,
}
# Inbound mail from an IMAP mailbox, polled every minute by beat, e.g.
# imaps://user:password@imap.example.org/INBOX
IMAP_URL = env.str("IMAP_URL", default="")
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["imap-poll"] = {
        "task": "chat.tasks.imap_poll",
        "schedule": 60,
        "options": {"expires": 55},
    }

# --- SMS (issue 18) --------------------------------------------------------
# Texts out: "console" prints them (development), "twilio" sends them through
# Twilio's REST API with the account's SID and auth token. Texts in arrive at
# /sms/twilio/inbound/, signed with TWILIO_AUTH_TOKEN for SITE_URL + path:
# without a token every webhook is refused.
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured(f"SMS_BACKEND is console or twilio, not {SMS_BACKEND}")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
# Numbers written without a country code (in the admin) are read in this region.
SMS_DEFAULT_REGION = env.str("SMS_DEFAULT_REGION", default="US")
# Hosts besides Twilio's (api.twilio.com, *.twilio.com) that MMS media may be
# fetched from: none unless set (a proxy or a test double).
SMS_MEDIA_HOSTS = env.list("SMS_MEDIA_HOSTS", default=[])
# The phone simulator (/sms/simulator/, chat/sms/simulator.py): a page that
# plays a patron's phone and signs its texts with TWILIO_AUTH_TOKEN, so anyone
# who opens it can text as any number. For demos (`make run` turns it on with
# a made-up token); never in production.
SMS_SIMULATOR = env.bool("SMS_SIMULATOR", default=False)

# --- I18n -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
FORMS_URLFIELD_ASSUME_HTTPS = True
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# The retention job (SPEC R4): daily at 03:30 in the consortium's zone, when
# the desks are quietest. Beat's database scheduler copies each entry of
# CELERY_BEAT_SCHEDULE into its PeriodicTask table when it starts, this one
# as a crontab with its zone; it first runs at the next 03:30, and the help
# desk can run it at once from Periodic tasks in the admin.
CELERY_BEAT_SCHEDULE["retention-scrub"] = {
    "task": "chat.tasks.retention_scrub",
    "schedule": TzAwareCrontab(minute=30, hour=3, tz=zoneinfo.ZoneInfo(TIME_ZONE)),
}

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # WhiteNoise's, rewriting ES module imports to hashed names too.
        "BACKEND": "consortium.staticfiles.ManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "media/"
# Serve static files from the app directories without collectstatic in development.
WHITENOISE_USE_FINDERS = DEBUG

# --- REST framework ---------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its `WWW-Authenticate` header makes "not logged in" a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Bodies are JSON (docs/api.md): form encodings would read an empty field
    # as "not sent" and the schema would offer them too.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_SCHEMA_CLASS": "consortium.api.schema.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "consortium.api.base.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "consortium.api.filters.SearchFilter",
    ],
    "EXCEPTION_HANDLER": "consortium.api.base.exception_handler",
}

# OpenAPI schema and interactive docs (/api/schema/, /api/docs/), served with
# the sidecar's bundled Swagger UI and ReDoc so they work offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "AskTogether help-desk API",
    "DESCRIPTION": "The consortium's REST API: see docs/api.md.",
    "VERSION": "v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security (production: DEBUG=False) --------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts and styles
# only from this site's static files, so an injected <script> or style
# attribute does nothing. A page's script is a static file that reads its data
# from data- attributes or `json_script` (docs/architecture.md); a <style> or
# <script> that must stay inline (third-party admin templates) carries
# `nonce="{{ request.csp_nonce }}"`, and django-csp adds that request's nonce
# to the header only then. Pages a library's website frames (the patron's
# chat, transcripts) replace frame-ancestors with that library's origins
# (chat.views.allow_library_frames); every other page is frame-ancestors
# 'none', like X_FRAME_OPTIONS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "script-src": [csp_constants.SELF, csp_constants.NONCE],
        "style-src": [csp_constants.SELF, csp_constants.NONCE],
        # data: for the admin's and Swagger UI's inline SVG icons.
        "img-src": [csp_constants.SELF, "data:"],
        "font-src": [csp_constants.SELF],
        # 'self' also allows ws:/wss: to this host (CSP level 3).
        "connect-src": [csp_constants.SELF],
        "object-src": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        "frame-ancestors": [csp_constants.NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # One handler for Django too (its default console handler would print
        # every line twice); client errors (403/404) are not worth a traceback.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"level": "ERROR"},
        "django.db.backends": {"level": "WARNING"},
        # Email intake runs its bounce detectors on untrusted mail and handles
        # a detector's failure itself (chat.mail.inbound._legacy_bounce); the
        # library logs every detector it runs and each failure's traceback.
        "flufl.bounce": {"level": "CRITICAL"},
    },
}
