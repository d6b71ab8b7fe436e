"""Settings shared by every environment. Everything that differs between machines comes from the
environment (see ``env.py``), with defaults that work on a laptop with nothing else installed."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF

from skillsmap.settings.env import database_from_env, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "allauth",
    "allauth.account",
    "allauth.mfa",
    # Sign-in through each organisation's own identity provider (#15); see sso/adapter.py.
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # SAML 2.0: /accounts/saml/<org slug>/{login,acs,metadata,sls}/, settings from sso/saml.py.
    "allauth.socialaccount.providers.saml",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "csp",
    "axes",
]
LOCAL_APPS = [
    "skillsmap.core",
    "accounts",
    "notifications",
    "domains",
    "teams",
    "sso",
    "scim",
    "skills",
    "certifications",
    "endorsements",
    "roles",
    "reports",
    "reviews",
    # The composition root, above every app: the demo seed (``seed_demo``).
    "skillsmap",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Outside axes, so that its lockout answer gets a Retry-After header too.
    "accounts.throttling.LoginThrottleMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "skillsmap.urls"
WSGI_APPLICATION = "skillsmap.wsgi.application"

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
                "accounts.context_processors.organisations",
            ],
        },
    },
]

DATABASES = {"default": database_from_env(str(BASE_DIR / "db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out admin login is refused before any password is checked.
    "accounts.throttling.AdminLoginBackend",
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
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verified before first use; MFA with TOTP and recovery codes.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[skillsmap] "
# Repeated failed sign-ins answer 429 with Retry-After (accounts/throttling.py); the limits
# themselves are allauth's defaults (ACCOUNT_RATE_LIMITS): 5 failures per address per 5 minutes,
# 10 per IP per minute.
# sso.adapter.AccountAdapter extends accounts.throttling.AccountAdapter (its 429s) with SSO policy:
# no password sign-in for an organisation that requires SSO (break-glass aside), and the TOTP step
# skipped for SSO sign-ins of an organisation that trusts its identity provider's MFA.
ACCOUNT_ADAPTER = "sso.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "skillsmap"

# SSO (#15): one identity provider per organisation, never stored as allauth SocialApp rows: the
# adapter builds each organisation's app from its sso.IdentityProvider (sso/adapter.py).
SOCIALACCOUNT_ADAPTER = "sso.adapter.SocialAccountAdapter"
# Never sign into an existing account only because a provider asserts its address: an
# organisation's provider is trusted only for that organisation's verified domains (sso/adapter.py).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
# Accounts are created just in time by sso.services, never through allauth's signup form.
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_STORE_TOKENS = False
# The OIDC client secret is encrypted with a key derived from this (sso/crypto.py). Production
# requires it; elsewhere a fixed development key is used.
SSO_SECRET_KEY = env_str("SSO_SECRET_KEY", "dev-only-sso-secret-key-change-me")
# SAML metadata URLs are fetched by a task (sso/metadata.py): https only and no private network
# addresses (SSRF), except in development; the tests' identity provider serves on 127.0.0.1.
SSO_METADATA_REQUIRE_HTTPS = env_bool("SSO_METADATA_REQUIRE_HTTPS", not DEBUG)
# An OpenID Connect issuer must be https, except in development and the tests (127.0.0.1).
SSO_REQUIRE_HTTPS = env_bool("SSO_REQUIRE_HTTPS", not DEBUG)
SSO_METADATA_ALLOW_PRIVATE_ADDRESSES = env_bool("SSO_METADATA_ALLOW_PRIVATE_ADDRESSES", DEBUG)

# django-axes guards the Django admin login only (/admin/login/, which allauth's limits do not
# cover): after AXES_FAILURE_LIMIT failures from one IP address, or for one username, further
# attempts are refused for the cool-off, each refused attempt starting it again.
AXES_HANDLER = "accounts.throttling.AdminOnlyAxesHandler"
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_USERNAME_FORM_FIELD = "username"  # the admin login form's field, whatever USERNAME_FIELD is
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttling.admin_lockout_response"
# Behind a proxy, set AXES_IPWARE_PROXY_COUNT so that the client address is not the proxy's.
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
AXES_VERBOSE = False  # no banner on every manage.py command

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere. Pages carry no
# inline script, style or event handler (chart data travels in json_script, htmx is configured
# by a <meta> and its indicator CSS lives in app.css), so 'unsafe-inline' is needed for neither
# scripts nor styles. data: images are for allauth's TOTP QR code and Swagger UI's icons.
# Swagger UI (/api/docs/, drf-spectacular-sidecar) is served from our static files and its
# initialiser from a URL (SpectacularSwaggerSplitView), so 'self' covers it; its page styles
# are in static/css/swagger.css (templates/drf_spectacular/swagger_ui.html drops the inline block).
CONTENT_SECURITY_POLICY: dict[str, dict[str, list[str] | bool]] = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed by `npm ci` from package.json (see Makefile); never copied into the repo.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chartjs", BASE_DIR / "node_modules" / "chart.js" / "dist"),
]

# Uploaded and exported files (FileSystemStorage, the "default" of STORAGES unless a settings
# module names another, e.g. S3: see README "Export files"). Inside the repository's git-ignored
# media/ by default; never served as static files: downloads go through the permission check.
MEDIA_ROOT = env_str("MEDIA_ROOT") or str(BASE_DIR / "media")
# How long an export's file is kept before the retention task deletes it (the job row stays).
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)
# Certifications (#16): evidence files (PDF, PNG or JPEG, checked by their content) up to this
# size, and how many days before its expiry a certification is listed and alerted as expiring.
CERTIFICATION_EVIDENCE_MAX_BYTES = env_int("CERTIFICATION_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024)
CERTIFICATION_EXPIRY_WARNING_DAYS = env_int("CERTIFICATION_EXPIRY_WARNING_DAYS", 90)
# Endorsements (#16): how many one person may give per hour, counted in the database.
ENDORSEMENTS_PER_HOUR = env_int("ENDORSEMENTS_PER_HOUR", 30)
# Reminders outside campaigns (#16): how often at most a person gets the digest of their stale
# ratings, and a validator the digest of ratings waiting for them (7: once per ISO week).
REMINDER_DIGEST_PERIOD_DAYS = env_int("REMINDER_DIGEST_PERIOD_DAYS", 7)
# Review campaigns (#16): days after the due date before a campaign closes by itself; reminders
# go this many days before the due date, then every CAMPAIGN_OVERDUE_REMINDER_DAYS while overdue.
CAMPAIGN_GRACE_DAYS = env_int("CAMPAIGN_GRACE_DAYS", 7)
CAMPAIGN_REMINDER_DAYS_BEFORE = (7, 1)
CAMPAIGN_OVERDUE_REMINDER_DAYS = env_int("CAMPAIGN_OVERDUE_REMINDER_DAYS", 7)

# Email: console in development; SMTP settings from the environment in production.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Read by the file backend (EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend), to
# which the browser tests send mail in order to read the links in it.
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "skillsmap <noreply@skillsmap.localhost>")
# Notifications (#16). A hung mail server must not hold a worker (or, in embedded mode, a
# request) for long: give up after EMAIL_TIMEOUT seconds and retry later.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# The site's address as its users reach it: emails sent by a worker (no request to read the host
# from) build their links on it. Set it to the public https:// address in production.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Attempts per notification email (the first and its retries) before it is left as failed.
NOTIFICATION_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATION_EMAIL_MAX_ATTEMPTS", 6)
# The sweep re-enqueues an email still pending this long after it was raised (its enqueue was
# lost), and a failed one with attempts left this long after its last attempt (above the task's
# 30-minute backoff cap, so it does not race a retry that is still scheduled).
NOTIFICATION_EMAIL_SWEEP_AFTER_SECONDS = env_int("NOTIFICATION_EMAIL_SWEEP_AFTER_SECONDS", 600)
NOTIFICATION_EMAIL_RETRY_AFTER_SECONDS = env_int("NOTIFICATION_EMAIL_RETRY_AFTER_SECONDS", 2400)

# Redis is optional: without REDIS_URL the cache is in memory and Celery tasks run in-process.
# A newer official O*NET/ESCO release for import_skill_library; unset, the bundled copy is read.
SKILL_LIBRARY_DIR = env_str("SKILL_LIBRARY_DIR") or None

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Misses instead of raising while Redis is down: the cache holds nothing that is not
            # also in the database (see skillsmap/cache.py and docs/reliability.md).
            "BACKEND": "skillsmap.core.cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "skillsmap",
            # A hung Redis must not hang a request: give up after a second and degrade.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Above the longest task, or Redis hands an unacknowledged task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Loaded into django-celery-beat's tables when beat starts, where admins can see and change them.
CELERY_BEAT_SCHEDULE = {
    "recompute-organisations-behind": {
        "task": "reports.tasks.dispatch_recomputes",
        "schedule": float(env_int("RECOMPUTE_DISPATCH_SECONDS", 60)),
    },
    "nightly-trend-snapshots": {
        "task": "reports.tasks.dispatch_snapshots",
        "schedule": crontab(hour=2, minute=15),
    },
    # Hourly, so that a file goes within the hour after the "kept until" its job page shows.
    "expire-export-files": {
        "task": "reports.tasks.expire_export_files",
        "schedule": crontab(minute=40),
    },
    # Daily: alerts of certifications at 90 and 30 days before expiry and once expired, each
    # sent once (notify's dedupe key), so a run missed or repeated changes nothing.
    "certification-expiry-alerts": {
        "task": "certifications.tasks.dispatch_expiry_alerts",
        "schedule": crontab(hour=6, minute=5),
    },
    # Daily: the digests of stale ratings and of ratings waiting for validation (#16). Each goes
    # once per REMINDER_DIGEST_PERIOD_DAYS (notify's dedupe key), so a weekly digest leaves on the
    # week's first run and a missed run is made up the next day.
    "reminder-digests": {
        "task": "reviews.tasks_digest.dispatch_digests",
        "schedule": crontab(hour=7, minute=10),
    },
    # Daily: review campaigns' reminders (each cadence step once per participant) and the
    # automatic close at due date + grace; a missed or repeated run changes nothing.
    "campaign-reminders": {
        "task": "reviews.tasks.campaign_reminders_send",
        "schedule": crontab(hour=7, minute=20),
    },
    # Every ten minutes: notification emails whose enqueue or retries were lost (broker down,
    # worker killed) or that embedded mode could not retry; sending twice is prevented.
    "notification-email-sweep": {
        "task": "notifications.tasks.notification_email_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Daily: every organisation's SAML metadata URL fetched again (sso/metadata.py), so a rolled-over
    # signing certificate is stored before the identity provider starts using it.
    "saml-metadata-refresh": {
        "task": "sso.tasks.saml_metadata_refresh_all",
        "schedule": crontab(hour=3, minute=30),
    },
}
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api_auth.ApiRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env_str("API_RATE_LIMIT", "600/minute")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "skillsmap.core.api.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "skillsmap.core.api.ApiAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Decimals (gaps, weights) travel as JSON numbers, as clients expect.
    "COERCE_DECIMAL_TO_STRING": False,
    # No OPTIONS metadata: the schema describes every endpoint, and OPTIONS on an object URL
    # would answer 200 before looking at the id.
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "skillsmap API",
    "DESCRIPTION": (
        "Everything the pages can do. Authenticate with a personal API token "
        "(`Authorization: Bearer smk_…`, created on the API tokens page, optionally expiring "
        "after 30, 90 or 365 days; an expired token gets the same 401 as a revoked one) or, "
        "from the browser, "
        "the session cookie with its CSRF token. Every organisation endpoint lives under "
        "`/api/v1/orgs/{org_slug}/`; an organisation you do not belong to reads as 404."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SkillKindEnum": "skills.models.SkillKind",
        "AssignmentKindEnum": "roles.models.RoleAssignment.Kind",
        "JobKindEnum": "skillsmap.core.models.Job.Kind",
        "CampaignStatusEnum": "reviews.models.CampaignStatus",
    },
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, CSP-friendly.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# How long an invitation link stays valid.
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 14)

# Verified domains (domains/dnscheck.py): the resolver that answers the TXT-record check, as
# "host:port" (an IPv4/IPv6 address; the port defaults to 53); empty means the system's resolvers
# (/etc/resolv.conf). The timeout bounds the whole lookup, which an admin's request waits for.
DNS_RESOLVER = env_str("DNS_RESOLVER")
DNS_TIMEOUT_SECONDS = float(env_str("DNS_TIMEOUT_SECONDS") or 3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
