from html import unescape

import pytest
from django.urls import reverse

from mujun.engine.scheme import SchemeError, parse_scheme, preset_toml
from mujun.evaluation.models import Scheme
from mujun.evaluation.tests.conftest import SCHEME_TOML


def problems_of(text: str) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text)
    return caught.value.messages()


def test_scheme_created_from_preset_takes_name_and_year_from_the_text(client_as, city_admin):
    client = client_as(city_admin)
    page = client.get(reverse("evaluation:scheme_add") + "?preset=huangyan-2022")
    assert page.status_code == 200
    text = preset_toml("huangyan-2022")
    assert text.splitlines()[1] in unescape(page.content.decode())  # the textarea is prefilled
    assert 'class="font-monospace' in page.content.decode() or "font-monospace" in page.content.decode()

    response = client.post(reverse("evaluation:scheme_add") + "?preset=huangyan-2022", {"region": "", "toml": text})
    scheme = Scheme.objects.get()
    assert response.status_code == 302 and response.url == scheme.get_absolute_url()
    parsed = parse_scheme(text)
    assert (scheme.name, scheme.year, scheme.preset) == (parsed.name, parsed.year, "huangyan-2022")
    assert scheme.history.count() == 1


def test_scheme_copied_from_another(client_as, city_admin, scheme):
    page = client_as(city_admin).get(reverse("evaluation:scheme_add") + f"?copy={scheme.pk}")
    assert "亩均增加值" in unescape(page.content.decode())


@pytest.mark.parametrize(
    "change, expected_field",
    [
        (("weight = 60", 'weight = "sixty"'), "权重"),
        (("A = 0.2, B = 0.4", "A = 0.3, B = 0.4"), "分档"),
    ],
    ids=["weight-not-a-number", "shares-not-summing-to-1"],
)
def test_invalid_scheme_shows_every_problem_and_is_not_saved(client_as, city_admin, scheme, change, expected_field):
    text = SCHEME_TOML.replace(*change)
    expected = problems_of(text)
    response = client_as(city_admin).post(
        reverse("evaluation:scheme_edit", args=[scheme.pk]), {"region": "", "toml": text}
    )
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert expected and all(problem in page for problem in expected)
    assert any(expected_field in problem for problem in expected)
    scheme.refresh_from_db()
    assert scheme.toml == SCHEME_TOML


def test_scheme_naming_a_column_the_platform_does_not_store_is_refused(client_as, city_admin, scheme):
    text = SCHEME_TOML.replace('numerator = "value_added"', 'numerator = "water_m3"')
    parse_scheme(text)  # valid for the engine: any numeric column may be named in a file
    response = client_as(city_admin).post(reverse("evaluation:scheme_edit", args=[scheme.pk]), {"toml": text})
    assert response.status_code == 200
    assert "water_m3" in unescape(response.content.decode())
    scheme.refresh_from_db()
    assert "water_m3" not in scheme.toml


def test_valid_edit_is_saved_and_audited(client_as, city_admin, scheme):
    text = SCHEME_TOML.replace('name = "测试区2024年度亩均效益评价"', 'name = "测试区2024年度（修订）"')
    response = client_as(city_admin).post(reverse("evaluation:scheme_edit", args=[scheme.pk]), {"toml": text})
    assert response.status_code == 302
    scheme.refresh_from_db()
    assert scheme.name == "测试区2024年度（修订）"
    assert scheme.history.count() == 2
    assert scheme.history.first().history_user == city_admin


def test_operator_schemes_belong_to_their_county(client_as, operator_wuxing, regions):
    client = client_as(operator_wuxing)
    text = preset_toml("huangyan-2021")
    response = client.post(reverse("evaluation:scheme_add"), {"region": "", "toml": text})
    assert response.status_code == 200 and not Scheme.objects.exists()
    response = client.post(reverse("evaluation:scheme_add"), {"region": regions["nanxun"].pk, "toml": text})
    assert response.status_code == 200 and not Scheme.objects.exists()
    response = client.post(reverse("evaluation:scheme_add"), {"region": regions["wuxing"].pk, "toml": text})
    assert response.status_code == 302
    assert Scheme.objects.get().region == regions["wuxing"]


def test_viewer_cannot_edit_schemes(client_as, viewer, scheme):
    client = client_as(viewer)
    assert client.get(reverse("evaluation:scheme_add")).status_code == 403
    assert client.post(reverse("evaluation:scheme_edit", args=[scheme.pk]), {"toml": SCHEME_TOML}).status_code == 403


def test_scheme_detail_shows_the_parsed_rules(client_as, viewer, scheme):
    page = unescape(client_as(viewer).get(scheme.get_absolute_url()).content.decode())
    for text in (
        "规上企业",
        "规下企业",
        "亩均税收",
        "ratio_of_sums",
        "electricity_surcharge_yuan_per_kwh",
        "tax / land_mu",
    ):
        assert text in page
    lists = client_as(viewer).get(reverse("evaluation:scheme_list"))
    assert scheme.name in lists.content.decode()
