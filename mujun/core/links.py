"""``reverse`` for the links of list pages: Django's, from a template made once per view.

A list of 50 rows links every row's record and its enterprise, region or project: 100–250 calls of Django's
``reverse`` a page, each matching the view's patterns again (a fifth of the project list's time, profiled).
For a view reversed with non-negative integers only (primary keys, years), the URL is Django's own for marker
numbers with each marker replaced; anything else is Django's ``reverse`` itself.
"""

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse

# Marker arguments: numbers no record has, each written once into the URL made for the template.
MARKERS = (987654321001, 987654321002, 987654321003)
_templates: dict[tuple, tuple[str, ...] | None] = {}


def _make_template(viewname: str, count: int) -> tuple[str, ...] | None:
    """The URL cut at each argument's place, or None when the markers do not each appear once in it (an
    argument the URL does not write as the number itself) or do not fit the view's converters."""
    try:
        url = django_reverse(viewname, args=MARKERS[:count])
    except NoReverseMatch:
        return None
    pieces: list[str] = []
    for marker in map(str, MARKERS[:count]):
        if url.count(marker) != 1:
            return None
        head, url = url.split(marker)
        pieces.append(head)
    return (*pieces, url)


def _template(viewname: str, count: int) -> tuple[str, ...] | None:
    # No URL of the platform is translated: the language is not part of the key (the test reverses in both).
    key = (viewname, count, get_script_prefix(), get_urlconf())
    template = _templates.get(key, False)
    if template is False:
        template = _templates[key] = _make_template(viewname, count)
    return template


def reverse(viewname: str, urlconf=None, args=None, kwargs=None, current_app=None, **options) -> str:
    if (
        args
        and len(args) <= len(MARKERS)
        and urlconf is None
        and not kwargs
        and current_app is None
        and not options
        and all(type(argument) is int and argument >= 0 for argument in args)
    ):
        template = _template(viewname, len(args))
        if template is not None:
            return "".join(piece for pair in zip(template, [*map(str, args), ""]) for piece in pair)
    return django_reverse(viewname, urlconf, args, kwargs, current_app, **options)
