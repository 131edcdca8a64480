from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation


class ChineseByDefaultLocaleMiddleware(LocaleMiddleware):
    """The language the user chose in the menu (its cookie), else LANGUAGE_CODE: officials' browsers send
    en-US as often as not, and the platform must still read in Chinese until someone switches."""

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen)
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class LoginRequiredEverywhereMiddleware:
    """Every page but log-in, language switching and static files needs a signed-in user.

    The API answers 401 itself, except its docs: they are a page, so they send people to log in.
    """

    OPEN_PREFIXES = ("/accounts/login/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not request.user.is_authenticated and not path.startswith(self.OPEN_PREFIXES):
            if path.startswith("/api/") and not path.startswith("/api/docs/"):
                return self.get_response(request)  # DRF answers 401/403 itself
            return redirect_to_login(request.get_full_path(), reverse("login"))
        return self.get_response(request)
