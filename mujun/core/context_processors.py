from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Menu of the platform; an app adds its entry here when it ships pages.
MENU = [
    (_("Regions"), "regions:region_list"),
    (_("Enterprises"), "enterprises:enterprise_list"),
    (_("Evaluation runs"), "evaluation:run_list"),
    (_("Schemes"), "evaluation:scheme_list"),
]


def navigation(request):
    items = []
    for label, name in MENU:
        url = reverse(name)
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"menu": items}
