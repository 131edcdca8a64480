"""Panels that an app contributes to pages it does not own, and cards it adds to the home page (NetBox's
``TemplateExtension``, smaller). Dependencies keep pointing down: the host page only says where panels go.

An app registers them in its optional ``panels.py`` (found through ``core.apps_registry``)::

    @register("<app label>.<model name>")        # that model's detail page
    class HeldParcels(Panel):
        template_name = "<app>/panels/held_parcels.html"

        def get_context(self):
            return {"parcels": self.object.parcels.all()}

    @register(HOME)                              # the home page
    class DisposedLand(Panel): ...

The host renders them with ``{% load panels %}{% panels object %}`` or ``{% panels "home" %}``.
"""

from __future__ import annotations

from collections import defaultdict

from django.template import Context

from mujun.core.apps_registry import app_module, domain_configs
from mujun.core.scoping import home_region

HOME = "home"

# host (a model's label, or a page name such as HOME) -> panel classes
registry: dict[str, list[type[Panel]]] = defaultdict(list)


class Panel:
    """One block of a host page. ``get_context`` returns what its template needs, or None to leave the
    panel out (nothing to show, or not for this user); the template also sees the host page's context."""

    template_name: str = ""
    order: int = 100  # lower first

    def __init__(self, context: Context, obj=None):
        self.context = context
        self.object = obj
        self.request = context.get("request")
        self.user = getattr(self.request, "user", None)

    def get_context(self) -> dict | None:
        return {}

    def scoped(self, queryset, region_field: str = "region"):
        """A home card's records: a county operator's county only, as their home page opens on it."""
        region = home_region(self.user) if self.user is not None else None
        if region is None:
            return queryset
        return queryset.filter(**{f"{region_field}_id__in": region.descendant_ids()})

    def shared_context(self) -> dict | None:
        """``get_context`` once per request and object for the panels that inherit the same one (two home
        cards of one set of figures): the page computes each figure once."""
        if self.request is None:
            return self.get_context()
        computed = self.request.__dict__.setdefault("_panel_contexts", {})
        key = (type(self).get_context, host_of(self.object) if self.object is not None else None, getattr(self.object, "pk", None))
        if key not in computed:
            computed[key] = self.get_context()
        return computed[key]

    def render(self) -> str:
        extra = self.shared_context()
        if extra is None:
            return ""
        template = self.context.template.engine.get_template(self.template_name)
        with self.context.push(object=self.object, **extra):
            return template.render(self.context)


def register(host: str):
    """Class decorator: show the panel on ``host`` (a model's ``app_label.modelname``, or a page name)."""

    def decorator(panel: type[Panel]) -> type[Panel]:
        registry[host.lower()].append(panel)
        return panel

    return decorator


def host_of(obj) -> str:
    return obj if isinstance(obj, str) else obj._meta.label_lower


def panels_for(host: str) -> list[type[Panel]]:
    return sorted(registry.get(host, []), key=lambda panel: panel.order)


def autodiscover() -> None:
    """Import every domain app's ``panels`` module, which registers its panels (once, at start-up)."""
    for config in domain_configs():
        app_module(config, "panels")
