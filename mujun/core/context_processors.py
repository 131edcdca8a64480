from django.urls import reverse

from mujun.core.apps_registry import domain_configs


def navigation(request):
    # Every template rendered with the request asks (a list page and its table's template): made once.
    if "_menu" not in request.__dict__:
        items = []
        for config in domain_configs():
            for label, name in getattr(config, "menu", []):
                url = reverse(name)
                items.append({"label": label, "url": url, "active": request.path.startswith(url)})
        request._menu = items
    return {"menu": request._menu}
