"""Settings for IMS Clinic, read from environment variables only.

Every variable is documented in the README ("Configuration") and in dotenv-sample. There is one
settings module on purpose: development and production differ by IMSCLINIC_ENV, not by files.
Production refuses to start on an unsafe configuration (missing or placeholder secret, DEBUG on).
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str | None = None) -> str | None:
    """Read a string, also from NAME_FILE (a mounted secret) when NAME itself is unset."""
    value = os.environ.get(name)
    if value is None and os.environ.get(f"{name}_FILE"):
        value = Path(os.environ[f"{name}_FILE"]).read_text().strip()
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


ENVIRONMENT = env_str("IMSCLINIC_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("IMSCLINIC_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"

DATA_DIR = Path(env_str("IMSCLINIC_DATA_DIR", str(BASE_DIR / "var")))

# --- Secret key and debug -------------------------------------------------------------------
# Placeholders that must never reach production. The development key is deliberately one of them.
DEV_SECRET_KEY = "dev-insecure-imsclinic-secret-key-do-not-use-in-production"  # noqa: S105
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "---", DEV_SECRET_KEY}

SECRET_KEY = env_str("IMSCLINIC_SECRET_KEY", None if PRODUCTION else DEV_SECRET_KEY)
DEBUG = env_bool("IMSCLINIC_DEBUG", not PRODUCTION)

if PRODUCTION:
    if SECRET_KEY is None or SECRET_KEY.lower() in PLACEHOLDER_SECRETS or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production needs IMSCLINIC_SECRET_KEY (or IMSCLINIC_SECRET_KEY_FILE): at least 50 "
            "random characters, not a placeholder. Generate one with: python -c "
            "'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with IMSCLINIC_DEBUG on.")

# --- Audit key and anchor (docs/adr/0007-keyed-audit-chains.md) -------------------------------
# The audit chains are sealed with an HMAC key that lives outside the database, so someone holding
# only the database (or a backup) cannot recompute them. Development creates a key file in the
# data directory on first use; production refuses to start without a real key.
AUDIT_KEY = env_str("IMSCLINIC_AUDIT_KEY")
AUDIT_KEY_PATH = DATA_DIR / "audit.key"
# Where the chain heads are anchored (a file with its own MAC). Default: one file per database
# under DATA_DIR/audit-anchors/. Point it at storage the database host cannot rewrite if you can.
AUDIT_ANCHOR_PATH = env_str("IMSCLINIC_AUDIT_ANCHOR_PATH")
AUDIT_ANCHOR_INTERVAL_SECONDS = env_int("IMSCLINIC_AUDIT_ANCHOR_SECONDS", 3600)
# A restore compares the backup's triggers with what this code's migrations create; that
# reference (a scratch migrate) is kept here, MAC'd with the audit key, for the next restore.
RESTORE_REFERENCE_DIR = Path(
    env_str("IMSCLINIC_RESTORE_REFERENCE_DIR", str(DATA_DIR / "restore-reference"))
)
if PRODUCTION and (
    AUDIT_KEY is None or AUDIT_KEY.lower() in PLACEHOLDER_SECRETS or len(AUDIT_KEY) < 32
):
    raise ImproperlyConfigured(
        "Production needs IMSCLINIC_AUDIT_KEY (or IMSCLINIC_AUDIT_KEY_FILE): at least 32 random "
        "characters, kept outside the database and apart from its backups. Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )

ALLOWED_HOSTS = env_list(
    "IMSCLINIC_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("IMSCLINIC_CSRF_TRUSTED_ORIGINS", [])
# Behind one reverse proxy that appends the client's address to X-Forwarded-For, turn this on:
# audit rows, lockout and rate-limit keys then use the address the proxy saw (the last entry;
# anything before it was written by the client and is not trusted). Off, REMOTE_ADDR is used.
TRUST_X_FORWARDED_FOR = env_bool("IMSCLINIC_TRUST_X_FORWARDED_FOR", False)
SITE_URL = env_str("IMSCLINIC_SITE_URL", "http://127.0.0.1:8000")
# Online payments (billing/online.py): a PaymentProvider class's dotted path; empty = none.
IMSCLINIC_PAYMENT_PROVIDER = env_str("IMSCLINIC_PAYMENT_PROVIDER", "")

# --- Applications ---------------------------------------------------------------------------
# Development tools: the benchmark harness and the demo builders (`imsclinic bench`, `imsclinic
# demo`, the /bench/hello ceiling and the per-request query counter). On by default in
# development, off in production; `imsclinic bench` turns them on for its own production-mode
# servers and bench databases only.
DEV_TOOLS = env_bool("IMSCLINIC_DEV_TOOLS", not PRODUCTION)
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # Production collects no static files for Django admin, which it does not route.
    "imsclinic.web.apps.ProductionStaticFilesConfig"
    if PRODUCTION
    else "django.contrib.staticfiles",
    # Security: TOTP and backup codes (django-otp), login lockout (axes), CSP header (django-csp).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    # Clinical areas, each with the same skeleton (models, views, forms, urls, actions, admin).
    "imsclinic.core",
    "imsclinic.audit",
    "imsclinic.accounts",
    "imsclinic.patients",
    "imsclinic.portal",
    "imsclinic.screening",
    "imsclinic.scheduling",
    "imsclinic.clinical",
    "imsclinic.outcomes",
    "imsclinic.reports",
    "imsclinic.billing",
    "imsclinic.interop",
    # The one gateway to patient data and the API's authentication (above the areas it serves).
    "imsclinic.gateway",
    "imsclinic.clinics",
    # The host on top: pages and commands that combine areas (home, Today, serve, demo).
    "imsclinic.web",
    *(["imsclinic.bench"] if DEV_TOOLS else []),
]

MIDDLEWARE = [
    # Unused unless IMSCLINIC_BENCH_QUERY_COUNT=1 (raises MiddlewareNotUsed at start-up).
    *(["imsclinic.bench.middleware.QueryCountMiddleware"] if DEV_TOOLS else []),
    "django.middleware.security.SecurityMiddleware",
    "imsclinic.core.security.RequestSizeLimitMiddleware",
    "imsclinic.core.validation.RejectUnsafeInputMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "imsclinic.core.middleware.ActiveClinicMiddleware",
    # A write that kept conflicting with others is a 503 "try again", never a 500 (core.db).
    "imsclinic.core.middleware.DatabaseBusyMiddleware",
    # A PDF whose render process died is a 503 "could not be printed", never a 500 (core.printing).
    "imsclinic.core.middleware.PrintingFailedMiddleware",
    "imsclinic.core.security.TwoFactorMiddleware",
    # Last, so it turns a lockout flagged during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "imsclinic.urls"
WSGI_APPLICATION = "imsclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "imsclinic.web.context_processors.clinic",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default. WAL lets readers proceed during a write; IMMEDIATE transactions
# take the write lock up front so two writers queue on the busy timeout instead of failing with
# "database is locked" on lock upgrade; synchronous=FULL makes every commit durable.
SQLITE_BUSY_TIMEOUT_SECONDS = env_int("IMSCLINIC_SQLITE_BUSY_TIMEOUT", 30)
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})
        if env_bool("IMSCLINIC_DB_PGBOUNCER", False):
            # Behind PgBouncer in transaction mode (docs/scaling.md): PgBouncer pools, so each
            # process keeps one persistent connection to it; no server-side cursors and no
            # prepared statements, which do not survive a switch of server connection.
            _db["CONN_MAX_AGE"] = env_int("IMSCLINIC_DB_CONN_MAX_AGE", 600)
            _db["CONN_HEALTH_CHECKS"] = True
            _db["DISABLE_SERVER_SIDE_CURSORS"] = True
            _db["OPTIONS"]["prepare_threshold"] = None
        else:
            # psycopg 3's pool: connections are reused across requests without CONN_MAX_AGE.
            _db["OPTIONS"]["pool"] = {
                "min_size": env_int("IMSCLINIC_DB_POOL_MIN", 1),
                "max_size": env_int("IMSCLINIC_DB_POOL_MAX", 10),
                "timeout": env_int("IMSCLINIC_DB_POOL_TIMEOUT", 30),
            }
        # Short clinical queries gain nothing from JIT; compiling one costs ~300 ms once its
        # cost estimate passes jit_above_cost (seen on the Today flags query at 600 courses).
        # PgBouncer refuses this startup parameter: there, ALTER DATABASE ... SET jit = off.
        if not env_bool("IMSCLINIC_DB_PGBOUNCER", False):
            _db["OPTIONS"].setdefault("options", "-c jit=off")
        _db["TEST"] = {"NAME": env_str("IMSCLINIC_TEST_DB_NAME", "test_imsclinic")}
    DATABASES = {"default": _db}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("IMSCLINIC_SQLITE_PATH", str(DATA_DIR / "imsclinic.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA foreign_keys=ON;"
                    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000};"
                ),
            },
            # A file, not :memory:, so tests exercise WAL and several connections (concurrency
            # tests, the live server and the browser) see one database.
            "TEST": {"NAME": str(DATA_DIR / "test_imsclinic.sqlite3")},
            # Opening a connection and running the PRAGMAs cost ~1.6 ms per request; keep it
            # for a while and check it is alive when a request reuses it.
            "CONN_MAX_AGE": env_int("IMSCLINIC_DB_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
        }
    }
DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")

# --- Cache ------------------------------------------------------------------------------------
# Chart summary sections are cached per patient under the chart's version stamp (a database
# column), so a stale entry is never read, whichever server wrote the chart. One server: the
# per-process memory cache. Several servers: IMSCLINIC_CACHE_URL=redis://host:6379/0 (Django's
# built-in RedisCache), so a section rendered on one is reused by the others.
CACHE_URL = env_str("IMSCLINIC_CACHE_URL", "locmem://")
if env_str("IMSCLINIC_REDIS_URL"):
    # An earlier name for the rate-limit cache: refused, not ignored, so a deployment that set
    # it does not run on per-process caches without noticing.
    raise ImproperlyConfigured(
        "IMSCLINIC_REDIS_URL is no longer read: set IMSCLINIC_CACHE_URL=redis://host:6379/0 "
        "instead (one cache holds chart sections and rate-limit counts)"
    )
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("IMSCLINIC_CACHE_PREFIX", "imsclinic"),
            "TIMEOUT": env_int("IMSCLINIC_CACHE_SECONDS", 24 * 3600),
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "imsclinic",
            "TIMEOUT": env_int("IMSCLINIC_CACHE_SECONDS", 24 * 3600),
            "OPTIONS": {"MAX_ENTRIES": env_int("IMSCLINIC_CACHE_MAX_ENTRIES", 5000)},
        }
    }
else:
    raise ImproperlyConfigured(
        f"IMSCLINIC_CACHE_URL must be locmem:// or a redis:// URL, not {CACHE_URL!r}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- PDF printing ---------------------------------------------------------------------------
# WeasyPrint runs in this many separate, lower-priority processes per server process
# (core.printing): a render on a request thread held the process's GIL and slowed every other
# request it served.
PDF_RENDER_PROCESSES = env_int("IMSCLINIC_PDF_RENDER_PROCESSES", 1)
if PDF_RENDER_PROCESSES < 1:
    raise ImproperlyConfigured("IMSCLINIC_PDF_RENDER_PROCESSES must be at least 1")
# How long a request waits for its PDF before it gives up with "could not be printed" and starts
# a fresh pool: a guard against a render process that never answers (a pool left waiting by a
# process that died as a print was submitted), far above any real print (well under 2 s).
PDF_RENDER_TIMEOUT_SECONDS = env_int("IMSCLINIC_PDF_RENDER_TIMEOUT_SECONDS", 120)


# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The lockout check runs first and refuses a locked-out username before any password is tried.
AUTHENTICATION_BACKENDS = [
    "imsclinic.core.security.LockoutBackend",
    "imsclinic.accounts.backends.UsernameOrEmailBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour: a reset link is a credential

# Lockout of repeated failed sign-ins (django-axes; see docs/security.md). Counted per username
# AND client address together (axes' combination parameters), so an attacker guessing a
# clinician's password locks only their own address: the clinician still signs in from their own
# device. Email and username share one counter (the identifier is resolved to the account's
# username first). A second counter per browser (IP + user agent) stops password spraying without
# locking a whole clinic behind one NAT address. A correct password resets the count.
AXES_FAILURE_LIMIT = env_int("IMSCLINIC_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("IMSCLINIC_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address", "user_agent"]]
AXES_USERNAME_CALLABLE = "imsclinic.accounts.lockout.lockout_username"
AXES_CLIENT_IP_CALLABLE = "imsclinic.accounts.lockout.lockout_client_ip"
AXES_LOCKOUT_CALLABLE = "imsclinic.core.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Two-factor (django-otp): TOTP codes are 30 s, used once; wrong codes slow further attempts.
OTP_TOTP_ISSUER = env_str("IMSCLINIC_OTP_ISSUER", "IMS Clinic")

# Sessions: idle logout and an absolute lifetime (enforced by ActiveClinicMiddleware).
SESSION_IDLE_TIMEOUT_MINUTES = min(env_int("IMSCLINIC_SESSION_IDLE_MINUTES", 30), 30)
SESSION_ABSOLUTE_LIFETIME_HOURS = env_int("IMSCLINIC_SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_LIFETIME_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Database sessions with a cheaper read (core/sessions.py: why not a cache-fronted store).
SESSION_ENGINE = "imsclinic.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers (production hardening; `check --deploy` is clean in production) ---------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): no inline script or style anywhere, no plugins, no
# framing, no <base> hijack. Templates load JS/CSS from /static/ only (htmx is told not to inject
# its indicator styles). SVG QR codes are inline <svg> markup, which CSP does not restrict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("IMSCLINIC_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("IMSCLINIC_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Local benchmark and loopback deployments behind a TLS proxy may turn the redirect off.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_SSL_REDIRECT else ["security.W008"]

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-ca"
LANGUAGES = [("en", "English"), ("fr", "Français")]
TIME_ZONE = "UTC"  # stored in UTC; each clinic renders in its own time zone
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("IMSCLINIC_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Uploaded files (the clinics' logos) live under DATA_DIR/media and are served by the app's own
# views, never as a public directory.
MEDIA_ROOT = Path(env_str("IMSCLINIC_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "imsclinic.core.staticfiles.CompressOnceManifestStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Outside production whitenoise looks a file up when it is asked for, instead of listing every
# static file when its middleware starts: an edited stylesheet shows without a restart, and the
# test client (a new middleware chain per test) no longer spends 24 ms listing files each time.
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Pages link static files by their hashed names ({% static %}), and WeasyPrint reads stylesheets
# from the source folders: the unhashed copies were never served, yet collectstatic compressed
# each one again with gzip and brotli, doubling a production start's 7 s of CPU.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
if not PRODUCTION:
    # Whitenoise warns about a missing STATIC_ROOT even when it serves from the finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Limits on what a request may carry (oversized input gets a clear 400/413) ---------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("IMSCLINIC_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Rate limits (django-ratelimit; core/ratelimits.py, docs/security.md) ---------------------
# Counts live in the one cache configured above (IMSCLINIC_CACHE_URL): Redis shares them between
# every worker and server; the memory cache counts per worker process.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_IP_META_KEY = "imsclinic.core.request_context.client_ip"
# Submissions per client address (or per email address, or per API token), per period.
RATE_LIMITS = {
    "public-screening": env_str("IMSCLINIC_RATE_PUBLIC_SCREENING", "20/h"),
    "public-booking": env_str("IMSCLINIC_RATE_PUBLIC_BOOKING", "10/h"),
    "public-contact": env_str("IMSCLINIC_RATE_PUBLIC_CONTACT", "10/h"),
    "password-reset": env_str("IMSCLINIC_RATE_PASSWORD_RESET", "5/h"),
    "password-reset-email": env_str("IMSCLINIC_RATE_PASSWORD_RESET_EMAIL", "3/h"),
    "portal-join": env_str("IMSCLINIC_RATE_PORTAL_JOIN", "10/h"),
    "api": env_str("IMSCLINIC_RATE_API", "600/m"),
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env_str("IMSCLINIC_EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("IMSCLINIC_EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("IMSCLINIC_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = env_str("IMSCLINIC_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("IMSCLINIC_EMAIL_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("IMSCLINIC_FROM_EMAIL", "IMS Clinic <no-reply@imsclinic.invalid>")

# --- Interoperability and benchmarking ---------------------------------------------------------
# Validate every FHIR resource with fhir.resources at run time (the tests always do); for
# debugging a mapping, since it makes a large $everything several times slower.
FHIR_VALIDATE = env_bool("IMSCLINIC_FHIR_VALIDATE", False)
# Per-request SQL query count and server time headers, for `imsclinic bench` only.
BENCH_QUERY_COUNT = env_bool("IMSCLINIC_BENCH_QUERY_COUNT", False)

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("IMSCLINIC_LOG_LEVEL", "WARNING")},
}
