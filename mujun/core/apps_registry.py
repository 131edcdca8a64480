"""How domain apps plug into the platform without editing shared files.

Each domain app may define, on its AppConfig:
- ``menu = [(label, url name), …]`` — entries of the top menu;
- ``url_prefix = "projects/"`` — where its ``urls.py`` is mounted (default: the app label and a slash);
and, as modules:
- ``api.py`` with ``register(router)`` — its REST viewsets;
- ``demo.py`` with ``load(context: DemoContext)`` — what ``mujun demo`` loads for it, after the
  enterprises and evaluation runs (apps in INSTALLED_APPS order).
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps

DOMAIN_APPS = ("regions", "enterprises", "evaluation", "projects", "land", "inspections", "indicators", "services")


def domain_configs():
    return [apps.get_app_config(label) for label in DOMAIN_APPS if apps.is_installed(f"mujun.{label}")]


def app_module(config, name: str):
    """``mujun.<app>.<name>`` if the app has that module, else None."""
    dotted = f"{config.name}.{name}"
    return import_module(dotted) if find_spec(dotted) else None
