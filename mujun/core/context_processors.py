from django.urls import reverse

from mujun.core.apps_registry import domain_configs


def navigation(request):
    items = []
    for config in domain_configs():
        for label, name in getattr(config, "menu", []):
            url = reverse(name)
            items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"menu": items}
