from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UserHistory(HistoricalRecords):
    """A user's history without a row per log-in: Django saves ``last_login`` alone on each."""

    def post_save(self, instance, created, using=None, **kwargs):
        if kwargs.get("update_fields") != frozenset({"last_login"}):
            super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    """A platform user. The role decides what may be edited; the region limits a county operator."""

    class Role(models.TextChoices):
        CITY_ADMIN = "city_admin", _("City administrator")
        COUNTY_OPERATOR = "county_operator", _("County operator")
        VIEWER = "viewer", _("Viewer")
        # Oversight (inspections, services): a judge scores projects in open inspection rounds; a
        # department handler works the enterprise problems assigned to their department.
        JUDGE = "judge", _("Inspection judge")
        HANDLER = "handler", _("Department handler")
        # Data collection: a department's staff upload their department's figures for the yearly evaluation.
        DATA_SUPPLIER = "data_supplier", _("Department data staff")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    region = models.ForeignKey(
        settings.MUJUN_REGION_MODEL,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The county a county operator enters data for"),
    )
    # Who gave whom which role and region. No password hashes in the history, and no row per log-in.
    history = UserHistory(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_city_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.CITY_ADMIN

    @property
    def can_edit(self) -> bool:
        return self.is_city_admin or (self.role == self.Role.COUNTY_OPERATOR and self.region_id is not None)
