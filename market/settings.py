"""Minga settings: one module, driven by the environment.

The embedded default needs no service at all: SQLite in the project folder, media on
local disk, e-mail printed to the console, background jobs run inline. Production is
switched on by variables (see `.env.example` and the README's "Production" section).
"""

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
WAGTAILADMIN_BASE_URL = SITE_URL

INSTALLED_APPS = [
    # Ours first, so that our templates (allauth, admin tweaks) take precedence.
    "impact",
    "cms",
    "orders",
    "catalog",
    "cooperatives",
    "market",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Content-Security-Policy header (its system checks flag legacy CSP_* settings)
    "csp",
    # Accounts
    "allauth",
    "allauth.account",
    # Background jobs (Django's Tasks API)
    "django_tasks",
    "django_tasks_db",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # HTML compressed with Django's BREACH mitigation (market/compression.py); after
    # WhiteNoise, whose static files are compressed ahead of time.
    "market.compression.TextGZipMiddleware",
    "market.csp.CSPMiddleware",  # django-csp's, plus Stripe Checkout as a form target
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A Market Builder's admin shows only her own markets (404 for another builder's).
    "cms.markets.admin_privacy.BuilderPrivacyMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Anonymous visitors get the storefront, home and catalogue before any routing.
    "market.page_cache.PageCacheMiddleware",
    # Last, after the page cache: the Wagtail site of the request without a query (cms/sites.py).
    "cms.sites.KnownSiteMiddleware",
]

ROOT_URLCONF = "market.urls"
WSGI_APPLICATION = "market.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "market" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
            "builtins": ["market.templatetags.money"],
        },
    },
]

# --- Database -----------------------------------------------------------------------
# Embedded default: SQLite with WAL and IMMEDIATE transactions, so that concurrent
# writers queue instead of failing half-way. Production: DATABASE_URL=postgres://...
SQLITE_PATH = env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3"))
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------------------
# With REDIS_URL, cache, sessions and allauth's rate limits are shared by all app servers.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "minga",
        },
        # The anonymous page cache (market.page_cache), shared by every app server.
        "pages": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "minga-pages",
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The anonymous page cache (market.page_cache) must be one for every process of the
        # machine (a sale in one gunicorn worker invalidates the pages of the others): files.
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env.str("MINGA_PAGE_CACHE_DIR", default="") or str(BASE_DIR / "var" / "page-cache"),
            "OPTIONS": {"MAX_ENTRIES": 2000},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "market.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# E-mail and password (or a code by e-mail), or a mobile number and a code by SMS or WhatsApp.
# The main sign-up form asks for an e-mail (verified by a code, as before) and an optional
# mobile; the phone sign-up (`market.account_forms.PhoneSignupForm`) asks only for a mobile,
# verified by a code before she is signed in. See `market/adapters.py`.
ACCOUNT_ADAPTER = "market.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "market.account_forms.SignupForm"}
# Codes by SMS: six digits, typed on a basic phone's keypad; SMS can be slow in the country,
# so a code lives 10 minutes (3 wrong tries end it) and she may ask for it again or correct
# the number she typed.
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60
ACCOUNT_LOGIN_BY_CODE_SUPPORTS_RESEND = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# Limits per account first ("key": the e-mail typed), per IP only as a ceiling. Rural mobile
# carriers put a whole town behind one public address (carrier-grade NAT), and behind a load
# balancer every request has the proxy's address unless ALLAUTH_TRUSTED_PROXY_COUNT says how
# many proxies to trust: the ceilings let an opening rush of hundreds of buyers through, while
# 5 wrong passwords for one account in 5 minutes stop that account's guessing from any address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "120/m/ip,5/5m/key",
    "login": "1200/m/ip",
    "signup": "300/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "300/m/ip,5/m/key",
    "reset_password_from_key": "300/m/ip",
    # The key is the e-mail or the phone number; each code by SMS costs money, so a number
    # gets at most 3 a minute and 10 an hour, from anywhere.
    "request_login_code": "300/m/ip,3/m/key,10/h/key",
    "verify_phone": "300/m/ip,1/30s/key,10/h/key",
    "change_phone": "3/m/user",
}
# The client's address: the N-th address from the right of X-Forwarded-For (N = the proxies you
# run), or a header your proxy sets. Left at 0 / empty, REMOTE_ADDR is used.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env.str("ALLAUTH_TRUSTED_CLIENT_IP_HEADER", default="") or None
ACCOUNT_SIGNUP_FORM_CLASS = "market.forms.SignupExtraForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Minga] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "America/Bogota"
USE_I18N = True
USE_TZ = True

# --- Static files and media -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env.str("MEDIA_URL", default="/media/")
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))

# In development WhiteNoise reads app folders directly; in production, collectstatic's output.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if AWS_STORAGE_BUCKET_NAME:
    # Any S3-compatible store; credentials come from AWS_ACCESS_KEY_ID/SECRET.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None,
            "file_overwrite": False,
            "default_acl": None,
        },
    }

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Minga <no-responder@minga.co>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs ------------------------------------------------------------------
# Wagtail's own tasks use "default" (inline). Our jobs use "jobs": inline in the embedded
# default, stored in the database and run by `manage.py jobs_worker` when TASKS_WORKER=true
# (django-tasks-db's worker plus heartbeat, lease, retries and reconnection: see market/jobs/).
TASKS_WORKER = env.bool("TASKS_WORKER", default=False)
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "jobs": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if TASKS_WORKER
            else "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default"],
    },
}
# A RUNNING task whose worker has not been seen for this long is taken up again.
MINGA_JOBS_LEASE_SECONDS = env.float("MINGA_JOBS_LEASE_SECONDS", default=30)
# How often a worker says it is alive (well under the lease).
MINGA_JOBS_HEARTBEAT_SECONDS = env.float("MINGA_JOBS_HEARTBEAT_SECONDS", default=5)
# Runs of a task (failures and vanished workers count) before it is FAILED for good.
MINGA_JOBS_MAX_ATTEMPTS = env.int("MINGA_JOBS_MAX_ATTEMPTS", default=6)
# Delay before the n-th retry: BACKOFF x 2^(n-1) seconds, at most BACKOFF_MAX.
MINGA_JOBS_BACKOFF_SECONDS = env.float("MINGA_JOBS_BACKOFF_SECONDS", default=30)
MINGA_JOBS_BACKOFF_MAX_SECONDS = env.float("MINGA_JOBS_BACKOFF_MAX_SECONDS", default=3600)
# A task still RUNNING after this many minutes is shown to staff as stuck, even if its worker lives.
MINGA_JOBS_STUCK_MINUTES = env.float("MINGA_JOBS_STUCK_MINUTES", default=15)

# --- Wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Minga"
# Page content in Spanish first and English second, through Wagtail's locales: staff make
# an English translation of a page ("Translate" in the page's menu) and /en/… serves it.
# A market's translation sells through its Spanish original (see cms.models).
WAGTAIL_I18N_ENABLED = True
# One sign-in for everybody: the Wagtail admin sends people to the site's login (rate limited
# per account), and has no password reset of its own.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_RESET_ENABLED = False
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_IMAGE_FORM_BASE = "market.images.CleanImageForm"
WAGTAILIMAGES_FORMAT_CONVERSIONS = {
    "jpeg": "webp",
    "png": "webp",
    "gif": "webp",
    "bmp": "webp",
}
WAGTAILDOCS_EXTENSIONS = ["pdf", "csv", "xlsx", "docx", "odt", "ods", "txt"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Security (production) ------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Stripe Checkout is a full-page redirect, not a pop-up, so the strictest value works.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Payments -------------------------------------------------------------------------
# Card payments (Stripe Checkout) appear only when a secret key is set.
# Messages (market.messages): SMS and WhatsApp through Twilio, or printed in the terminal.
MINGA_SMS_PROVIDER = env.str("MINGA_SMS_PROVIDER", default="console")  # "console" or "twilio"
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_SMS_FROM = env.str("TWILIO_SMS_FROM", default="")
TWILIO_WHATSAPP_FROM = env.str("TWILIO_WHATSAPP_FROM", default="")
TWILIO_CONTENT_SIDS = env.str("TWILIO_CONTENT_SIDS", default="{}")  # template name → HX… id (JSON)
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")  # another host for the API (a stub)
TWILIO_TIMEOUT_SECONDS = env.float("TWILIO_TIMEOUT_SECONDS", default=10)
MINGA_MESSAGE_ATTEMPTS = env.int("MINGA_MESSAGE_ATTEMPTS", default=3)
MINGA_MESSAGE_BACKOFF_SECONDS = env.float("MINGA_MESSAGE_BACKOFF_SECONDS", default=30)
# A market's cooperatives with quantities still to confirm are asked once, this many hours
# (or fewer) before it opens (`manage.py close_markets`).
MINGA_CONFIRM_ASK_HOURS = env.int("MINGA_CONFIRM_ASK_HOURS", default=48)

STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Tests point the real stripe library at a local stub server.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
# Stripe charges COP in cents: at most 999,999.99 per charge; minimum about USD 0.50.
MINGA_CARD_MAX_COP = 999_999
MINGA_CARD_MIN_COP = env.int("MINGA_CARD_MIN_COP", default=2_500)
MINGA_CARD_PAYMENT_MINUTES = 30
# Bank account buyers transfer to (shown with the order's unique reference).
MINGA_BANK_ACCOUNT = env.str(
    "MINGA_BANK_ACCOUNT", default="Bancolombia · Ahorros 000-000000-00 · Minga SAS · NIT 901.000.000-1"
)

# --- Content-Security-Policy (django-csp 4) -------------------------------------------
# Our pages need no inline script or style: scripts and styles come from /static/ only, and
# a template must not use <script>, <style>, style="" or on*="" (tests/security checks it).
# The Wagtail admin (/cms/) and the Django admin (/django-admin/) ship inline scripts and
# styles of their own, so they are left out of this policy (EXCLUDE_URL_PREFIXES, read by
# django-csp's middleware) rather than weakening it for every page; they keep the other
# headers (X-Frame-Options DENY, HSTS, nosniff) and are for signed-in staff only. Wagtail's
# page previews are served under /cms/ too, so they render normally.
_CSP_IMG_SRC = [CSP_SELF, "data:"]
if AWS_STORAGE_BUCKET_NAME:
    # Photos and renditions come from the bucket: its custom domain (or CDN) when set, else
    # the store's own host in both addressing styles (path and virtual-hosted).
    _S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="")
    _S3_ENDPOINT = urlsplit(env.str("AWS_S3_ENDPOINT_URL", default=""))
    _S3_REGION = env.str("AWS_S3_REGION_NAME", default="")
    if _S3_CUSTOM_DOMAIN:
        _CSP_IMG_SRC.append(f"https://{_S3_CUSTOM_DOMAIN}")
    elif _S3_ENDPOINT.netloc:
        _CSP_IMG_SRC += [
            f"{_S3_ENDPOINT.scheme}://{_S3_ENDPOINT.netloc}",
            f"{_S3_ENDPOINT.scheme}://{AWS_STORAGE_BUCKET_NAME}.{_S3_ENDPOINT.netloc}",
        ]
    else:
        _CSP_IMG_SRC.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com")
        if _S3_REGION:
            _CSP_IMG_SRC.append(f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{_S3_REGION}.amazonaws.com")
# form-action: our own pages only. When card payments are on (STRIPE_SECRET_KEY), the
# middleware (market/csp.py) adds https://checkout.stripe.com: the pay-by-card form answers
# 303 to Stripe Checkout and Chromium applies form-action to that redirect too.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/cms/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "img-src": _CSP_IMG_SRC,
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "object-src": [CSP_NONE],
    },
}

# --- Minga ----------------------------------------------------------------------------
MINGA_CATALOG_PAGE_SIZE = 24
MINGA_INVITATION_DAYS = 14
# A delivered weight may differ from the ordered one, within this ratio.
MINGA_MAX_DELIVERED_RATIO = Decimal("1.5")
# Demo data (documented passwords) may only be loaded where this is true.
MINGA_ALLOW_DEMO_DATA = env.bool("MINGA_ALLOW_DEMO_DATA", default=DEBUG)
