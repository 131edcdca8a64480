"""Bounds written once for fields of many apps: each model field carries them as validators, so the web
form, the API (through the model's full_clean) and the imports (which read the same bounds) refuse alike.
The filtersets bound their number filters by the same validators (mujun.core.filtersets.integer_range).
Also the password rule beyond Django's own validators (``CharacterClassValidator``)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# The years the platform takes: a year beyond any calendar made dates downstream fail.
FIRST_YEAR, LAST_YEAR = 1990, 2100


@deconstructible
class FirstYearValidator(MinValueValidator):
    message = _("The year must be %(limit_value)s or later.")

    def __init__(self):
        super().__init__(FIRST_YEAR)


@deconstructible
class LastYearValidator(MaxValueValidator):
    message = _("The year must be %(limit_value)s or earlier.")

    def __init__(self):
        super().__init__(LAST_YEAR)


def year_validators() -> list:
    """The validators of every year field: ``models.PositiveSmallIntegerField(…, validators=year_validators())``."""
    return [FirstYearValidator(), LastYearValidator()]


class CharacterClassValidator:
    """A password mixes at least ``min_classes`` of the four kinds of character: capital letters, small
    letters, digits and other symbols (等保 2.0 practice; AUTH_PASSWORD_VALIDATORS names it)."""

    # Anything but a Latin letter or a digit counts as a symbol, Chinese characters included.
    CLASSES = (str.isupper, str.islower, str.isdigit, lambda c: not (c.isascii() and c.isalnum()))

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def classes(self, password: str) -> int:
        return sum(any(test(c) for c in password) for test in self.CLASSES)

    def validate(self, password: str, user=None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return _(
            "Your password must contain at least %(min_classes)d of these kinds of character: capital letters, "
            "small letters, digits and symbols."
        ) % {"min_classes": self.min_classes}
