"""The WSGI application that ``mujun serve`` runs under gunicorn (``gunicorn mujun.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
application = get_wsgi_application()

from mujun.core.deployment import require_secret_key  # noqa: E402  (needs the settings configured above)

require_secret_key()


def _load_every_view() -> None:
    """Import the URL configuration and every view with it (a second of imports: Polars, Plotly, the apps'
    views), so that gunicorn's preloading master does it once for all its workers rather than each worker on
    its first requests; then drop any database connection made meanwhile, which forked workers must not share,
    and freeze what was loaded out of the garbage collector's reach."""
    from django.db import connections
    from django.urls import get_resolver

    from mujun.core.deployment import freeze_loaded_objects

    get_resolver().url_patterns  # imports every urls module, and so every view
    connections.close_all()
    freeze_loaded_objects()


_load_every_view()
