"""The WSGI application that ``mujun serve`` runs under gunicorn (``gunicorn mujun.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mujun.settings")
application = get_wsgi_application()

from mujun.core.deployment import require_secret_key  # noqa: E402  (needs the settings configured above)

require_secret_key()
