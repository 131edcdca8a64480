"""How domain apps plug into the platform without editing shared files.

A domain app's AppConfig derives from ``DomainAppConfig``: that alone makes it one (INSTALLED_APPS, read in
its order, is the one list of them). It may set:
- ``menu = [(label, url name), …]`` — entries of the top menu;
- ``url_prefix = "projects/"`` — where its ``urls.py`` is mounted (default: the app label and a slash);
- ``landing_url(user)`` — the page a user whose work this app holds lands on after signing in;
and it may provide, as modules:
- ``api.py`` with ``register(router)`` — its REST viewsets;
- ``panels.py`` registering panels on other apps' pages and cards on the home page (``core.extensions``);
- ``demo.py`` with ``load(context: DemoContext)`` — what ``mujun demo`` loads for it (apps in
  INSTALLED_APPS order: the ones below first).
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import AppConfig, apps


class DomainAppConfig(AppConfig):
    # An app's apps.py subclasses it as ``apps_registry.DomainAppConfig``: with the class itself imported
    # into that module, Django would find two configs there and fall back to a plain AppConfig.
    menu: list = []

    def landing_url(self, user) -> str | None:
        """Where ``user`` lands after signing in, if this app has their work (a judge's scoring page); None
        leaves it to the other apps, and then to the home page."""
        return None


def domain_configs() -> list[DomainAppConfig]:
    """The domain apps, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if isinstance(config, DomainAppConfig)]


def app_module(config, name: str):
    """``<app>.<name>`` if the app has that module, else None."""
    dotted = f"{config.name}.{name}"
    return import_module(dotted) if find_spec(dotted) else None
