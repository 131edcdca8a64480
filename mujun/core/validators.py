"""Bounds written once for fields of many apps: each model field carries them as validators, so the web
form, the API (through the model's full_clean) and the imports (which read the same bounds) refuse alike.
The filtersets bound their number filters by the same validators (mujun.core.filtersets.integer_range)."""

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
