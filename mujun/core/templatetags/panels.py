from django import template
from django.utils.safestring import mark_safe

from mujun.core.extensions import host_of, panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, obj):
    """Every panel other apps registered for ``obj``'s page (a record, or a page name such as "home")."""
    host = host_of(obj)
    target = None if isinstance(obj, str) else obj
    return mark_safe("".join(panel(context, target).render() for panel in panels_for(host)))
