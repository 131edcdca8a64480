"""The domains' county targets (land; remediation) share one set of rules: set per county, figures not
negative; the web form offers only counties and refuses the same way the model does."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mujun.land.models import LandTarget
from mujun.remediation.models import RemediationTarget

TARGETS = [
    pytest.param(LandTarget, "land:target_add", {"disposal_target_mu": 80, "supply_target_mu": 20}, "supply_target_mu", id="land"),
    pytest.param(RemediationTarget, "remediation:remediation_target_add", {"firms_target": 4, "land_target_mu": 30}, "land_target_mu", id="remediation"),
]  # fmt: skip


@pytest.mark.parametrize(("model", "add_url", "figures", "figure"), TARGETS)
def test_a_county_target_is_set_per_county_with_figures_not_negative(client_as, city_admin, regions, model, add_url, figures, figure):
    client = client_as(city_admin)
    form = client.get(reverse(add_url)).context["form"]
    assert set(form.fields["region"].queryset) == {regions.wuxing, regions.nanxun}  # the fixture's counties

    refused = client.post(reverse(add_url), {"region": regions.wuxing.pk, "year": 2026, **figures, figure: -5})
    assert refused.status_code == 200 and refused.context["form"].errors == {figure: ["不能为负数"]}
    town = model(region=regions.zhili, year=2026, **figures)
    with pytest.raises(ValidationError) as error:
        town.full_clean()
    assert error.value.message_dict == {"region": ["目标按区县设定。"]}

    saved = client.post(reverse(add_url), {"region": regions.wuxing.pk, "year": 2026, **figures})
    assert saved.status_code == 302
    assert model.objects.get(region=regions.wuxing, year=2026).year == 2026
    assert str(model.objects.get()) == f"{regions.wuxing} 2026"


@pytest.mark.parametrize("add_url", ["land:target_add", "remediation:remediation_target_add", "remediation:lowfirm_rules_add",
                                     "projects:start_target_add"])  # fmt: skip
def test_every_form_of_a_record_set_per_county_offers_only_counties(client_as, city_admin, regions, add_url):
    form = client_as(city_admin).get(reverse(add_url)).context["form"]
    assert set(form.fields["region"].queryset) == {regions.wuxing, regions.nanxun}
