"""Django settings for Mujun.

Everything a deployment changes comes from the environment:
``DATABASE_URL`` (default: SQLite file under ``MUJUN_DATA_DIR``), ``MUJUN_SECRET_KEY``, ``MUJUN_DEBUG``,
``MUJUN_ALLOWED_HOSTS``, ``MUJUN_HTTPS``. The README's "Production" section lists a production environment;
with it ``mujun check --deploy`` reports nothing (tests/test_deploy_settings.py).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import plotly
import xstatic.pkg.bootstrap
import xstatic.pkg.leaflet
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("MUJUN_DATA_DIR", BASE_DIR.parent / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("MUJUN_DEBUG", "0") == "1"
# The key signs sessions and password-reset links: MUJUN_SECRET_KEY, else the file that `mujun demo` writes.
# Without either, a development key that `check --deploy` flags and that no server with DEBUG off accepts
# (mujun.core.deployment.require_secret_key, called by `mujun serve` and mujun.wsgi).
SECRET_KEY_FILE = DATA_DIR / "secret_key"
DEVELOPMENT_SECRET_KEY = "django-insecure-mujun-development-key"
SECRET_KEY = (
    os.environ.get("MUJUN_SECRET_KEY")
    or (SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.exists() else "")
    or DEVELOPMENT_SECRET_KEY
)
ALLOWED_HOSTS = os.environ.get("MUJUN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "django_bootstrap5",
    "django_htmx",
    "simple_history",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "mujun.core",
    "mujun.regions",
    "mujun.enterprises",
    "mujun.collection",
    "mujun.evaluation",
    "mujun.projects",
    "mujun.land",
    "mujun.remediation",
    "mujun.inspections",
    "mujun.indicators",
    "mujun.services",
]

MIDDLEWARE = [
    # The security headers first, so that every answer carries them: pages, API, error pages and the static
    # files WhiteNoise answers below them (tests/security/test_headers.py).
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "mujun.core.middleware.ChineseByDefaultLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "mujun.core.middleware.LoginRequiredEverywhereMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mujun.urls"
WSGI_APPLICATION = "mujun.wsgi.application"

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
                "mujun.core.context_processors.navigation",
            ],
        },
    },
]

# Django's widget templates, with the select written in Python (the same markup; see mujun/core/renderers.py).
FORM_RENDERER = "mujun.core.renderers.FormRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'mujun.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the task worker writes a run's results.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's default cost of a random page read (4.0) is a spinning disk's: on a server whose tables sit
    # in memory or on SSD it joins a few hundred rows by walking a whole table's key index instead of looking
    # each one up (the home page's overdue problems: 27 ms instead of 4). 1.1 is the usual setting for SSD.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"-c random_page_cost=1.1 {options.get('options', '')}".strip()  # the URL's own come last
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
# The region tree that scopes every record: core knows its model only by this name, as it knows the user model.
MUJUN_REGION_MODEL = "regions.Region"
# 等保 2.0 practice: 12 characters or more, of at least three kinds, not like the user's names, not common.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "mujun.core.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "landing"  # a judge to their scoring, a department handler to their problems
LOGOUT_REDIRECT_URL = "login"
# django-axes refuses further log-ins (web page, admin, API token) after repeated wrong passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Per user and address: a colleague's typos behind the same office NAT do not lock everyone out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "mujun.core.auth.lockout_response"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing (before any collectstatic)
# Third-party assets come from the Python packages that carry them: the intranet has no CDN.
STATICFILES_DIRS = [
    ("vendor/bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
    ("vendor/plotly", Path(plotly.__file__).parent / "package_data"),
    ("vendor/leaflet", xstatic.pkg.leaflet.BASE_DIR),
]
# Map tiles of the land map: an intranet tile server URL template ({z}/{x}/{y}); none draws outlines only.
MUJUN_MAP_TILES = os.environ.get("MUJUN_MAP_TILES", "")
# With DEBUG off WhiteNoise serves the files `collectstatic` gathered in STATIC_ROOT (`mujun serve` collects them).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

# Figures kept until what they read changes (mujun.core.kept): in files, so that every web worker and the task
# worker share one computation of each version, and a restart keeps them. Room for a count per filter and search
# of a list (kept_count: a few bytes each) beside the large figures: past the limit Django deletes a third of the
# entries at random, a ledger that takes seconds to compute among them.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "cache",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}

# Every page's scripts are the platform's static files (no inline script, no handler attributes); inline
# style attributes and the styles Plotly and htmx inject are allowed. Images may also be data: URLs (Bootstrap's
# icons) and map tiles from the tile server ("{s}" subdomains as a wildcard).
_tiles = urlsplit(MUJUN_MAP_TILES)
_tile_sources = [f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}"] if _tiles.netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", *_tile_sources],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

# Browser features no page uses are switched off for the platform and anything it might embed.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid", "magnetometer",
        "microphone", "midi", "payment", "serial", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("MUJUN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens are looked up, not hashed on every request as Basic auth's passwords were. Token comes
        # first so that an anonymous request gets 401 with "WWW-Authenticate: Token", not a bare 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Only anonymous requests that get past the permissions are throttled: in practice the token endpoint.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "20/minute"},
    "DEFAULT_PERMISSION_CLASSES": ["mujun.core.permissions.RegionScopedPermission"],
    # django-filter with mujun.core.filtersets' rules: a query the database cannot take answers 400.
    "DEFAULT_FILTER_BACKENDS": ["mujun.core.filtersets.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    # A delete refused because other records hold the object answers 409 naming them, not 500.
    "EXCEPTION_HANDLER": "mujun.core.exceptions.api_exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mujun API",
    "DESCRIPTION": "亩均 platform: regions, enterprises, evaluation",
    "VERSION": "1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Fields of the same name with different choices get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "LandCategoryEnum": "mujun.land.models.Category",
        "ProblemCategoryEnum": "mujun.services.models.Problem.Category",
        "LandStageEnum": "mujun.land.models.Stage",
        "ProjectStageEnum": "mujun.projects.models.Stage",
    },
}

DJANGO_TABLES2_TEMPLATE = "core/table.html"  # bootstrap5-responsive, rows written in Python
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}

BOOTSTRAP5 = {
    # A valid field needs no green tick: filter forms are "valid" as soon as they are submitted.
    "success_css_class": "",
    "css_url": {"url": STATIC_URL + "vendor/bootstrap/css/bootstrap.min.css"},
    "javascript_url": {"url": STATIC_URL + "vendor/bootstrap/js/bootstrap.bundle.min.js"},
}


# Served over HTTPS (MUJUN_HTTPS=1, usually behind a reverse proxy that sets X-Forwarded-Proto): cookies only
# over HTTPS, HTTP redirected, and browsers told to come back over HTTPS only (HSTS, one year).
if os.environ.get("MUJUN_HTTPS", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"mujun": {"handlers": ["console"], "level": "INFO"}},
}
