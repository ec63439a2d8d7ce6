"""One settings module, driven by environment variables (django-environ).

Every variable has a development default so that `make demo` needs nothing;
production sets SECRET_KEY, PARTICIPANT_LINK_KEY, DEBUG=0, ALLOWED_HOSTS and
DATABASE_URL. See docs/deploy.md.
"""

from datetime import timedelta
from pathlib import Path

import environ

from config.keys import DEVELOPMENT_BALLOT_KEY, DEVELOPMENT_SECRET_KEY, refuse_weak_keys

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# The key of the keyed hash that links a user to their per-study participant
# pseudonym (SPEC 5). It lives only in the environment, never in the
# database, so a database dump alone cannot join people to answers.
PARTICIPANT_LINK_KEY = env.str("PARTICIPANT_LINK_KEY", default=SECRET_KEY)

# The key that seals each panelist's ballot while a round is open (SPEC 5:
# the ballot box). Like the link key it lives only in the environment; losing
# it loses the open rounds' ballots, and only those (docs/deploy.md).
BALLOT_KEY = env.str("BALLOT_KEY", default=DEVELOPMENT_BALLOT_KEY)

# Secure by default: with DEBUG off the app does not start on a development,
# missing, short or shared key, whatever else the environment says.
if not DEBUG:
    refuse_weak_keys({"SECRET_KEY": SECRET_KEY, "PARTICIPANT_LINK_KEY": PARTICIPANT_LINK_KEY, "BALLOT_KEY": BALLOT_KEY})

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "vignettes",
    "surveys",
    "analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so that static files keep their long cache.
    "config.caching.NoStoreMiddleware",
    "config.zones.TimeZoneResetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# A ballot posts one field per rated or comment item and one per option an
# option list offers (surveys.models.Item.ballot_fields). The builder keeps a
# round's ballot within BALLOT_MAX_FIELDS, and Django's limit on a request's
# fields lies well above it, so a ballot the builder allows always submits;
# the next-round page posts up to three fields per item.
BALLOT_MAX_FIELDS = 3000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 4 * BALLOT_MAX_FIELDS

ROOT_URLCONF = "config.urls"

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
                "config.context.platform",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out sign-in before a password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "surveys:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Not the manifest variant: it would need collectstatic before
        # every test run and every `make demo`.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Links in mail are built from this, never from a request's Host header.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="delphi@localhost")
# The name the pages and every mail give the platform, so that a reader can
# tell its mail from a forgery that names only a study.
PLATFORM_NAME = env.str("PLATFORM_NAME", default="Delphi consensus")
# Mail a study, and a facilitator across their studies, may send in any 24
# hours (invitations and reminders, one per address): enough for a panel of
# 500 invited and reminded the same day, and a ceiling on anyone who would
# use the platform's address to mail strangers.
MAIL_LIMIT_PER_STUDY = env.int("MAIL_LIMIT_PER_STUDY", default=1000)
MAIL_LIMIT_PER_FACILITATOR = env.int("MAIL_LIMIT_PER_FACILITATOR", default=2000)

# Errors are logged to the console with their request's method and path
# (tokens masked), and mailed to ADMINS ("Name <address>" items) when set,
# without request data or variables: config/logging.py says why.
ADMINS = [
    (name.strip(), address.strip(" >"))
    for name, _lt, address in (item.partition("<") for item in env.list("ADMINS", default=[]))
]
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.logging.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact"],
            "include_html": False,
            "reporter_class": "config.logging.ReporterWithoutVariables",
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "surveys": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "analysis": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
    },
}

# Invitations and reminders are queued as tasks, so a panel of 500 never
# waits on the mail server inside a request. "immediate" runs each task as
# it is enqueued (the demo and the tests); "database" stores it for the
# `manage.py db_worker` process (production).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[env.str("TASKS_BACKEND", default="immediate")]}}

# Password reset (docs/deploy.md): within PASSWORD_RESET_WINDOW_MINUTES one
# address (an IPv6 client counts as its /64) may ask for
# PASSWORD_RESET_ADDRESS_LIMIT links, and one email be asked for
# PASSWORD_RESET_EMAIL_LIMIT times, whether or not an account uses it.
PASSWORD_RESET_ADDRESS_LIMIT = env.int("PASSWORD_RESET_ADDRESS_LIMIT", default=20)
PASSWORD_RESET_EMAIL_LIMIT = env.int("PASSWORD_RESET_EMAIL_LIMIT", default=3)
PASSWORD_RESET_WINDOW = timedelta(minutes=env.int("PASSWORD_RESET_WINDOW_MINUTES", default=60))

# -- Security (docs/deploy.md) -----------------------------------------------
# Development (DEBUG on) runs over plain http; with DEBUG=0 every default
# below is the production one, and `manage.py check --deploy` passes once
# SECRET_KEY, ALLOWED_HOSTS and the HSTS variables are set as documented.
PRODUCTION = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# The reverse proxy terminates TLS and says so in X-Forwarded-Proto; it must
# overwrite that header from clients (docs/deploy.md shows how).
BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=PRODUCTION)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# No page reads the CSRF cookie from JavaScript; the token is in each form.
CSRF_COOKIE_HTTPONLY = True
# A signed-in session lasts a working day (8 hours) unless set otherwise.
# Drafts are saved on the server, so an expired session loses nothing saved.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts and styles come only from
# static/; no inline script anywhere. The one exception is the style
# *attribute* (style-src-attr) that sets the width of a feedback bar: it
# cannot run code, and style elements stay forbidden.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Sign-in throttling (django-axes; docs/deploy.md says why these limits).
# After AXES_FAILURE_LIMIT wrong passwords for one username from one address
# (an IPv6 client counts as its /64), that pair waits AXES_COOLOFF_MINUTES:
# the pair, not the address alone, so that one panelist mistyping does not
# lock out a whole hospital behind one NAT address. After
# AXES_USERNAME_FAILURE_LIMIT wrong passwords for one username from any
# addresses, that username waits too, so that spreading guesses over many
# addresses buys no more guesses (config/lockout.py gives each its limit).
# Attempts are kept in the database, so several app servers share them.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "config.lockout.AxesLimitsHandler"
AXES_CLIENT_IP_CALLABLE = "config.signin.client_ip"
AXES_USERNAME_CALLABLE = "config.signin.attempted_username"
AXES_RESET_ON_SUCCESS = True
# A try while paused is refused and not counted: else one address, paused
# at 5, could go on to the user name's limit alone and pause the account
# everywhere, and a panelist retrying a paused sign-in would do the same.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# What axes masks in the POST data it keeps of a failure: its defaults, the
# password change's fields (its old password is checked through axes), and
# the CSRF token, from which the cookie's secret can be read.
AXES_SENSITIVE_PARAMETERS = [
    "username", "ip_address", "old_password", "new_password1", "new_password2", "csrfmiddlewaretoken",
]
