from mujun.evaluation.models import Run, Scheme
from mujun.evaluation.tests.conftest import SCHEME_TOML


def test_api_lists_and_filters_results(client_as, viewer, regions, published_run):
    client = client_as(viewer)
    runs = client.get("/api/evaluation/runs/").json()
    assert [r["id"] for r in runs["results"]] == [published_run.pk]
    graded_d = client.get("/api/evaluation/results/", {"run": published_run.pk, "grade": "D"}).json()
    assert graded_d["count"] == published_run.results.filter(grade="D").count() > 0
    assert {r["grade"] for r in graded_d["results"]} == {"D"}
    nanxun = client.get("/api/evaluation/results/", {"run": published_run.pk, "region": regions["nanxun"].pk}).json()
    assert nanxun["count"] == 6
    below = client.get("/api/evaluation/results/", {"group": "below"}).json()
    assert below["count"] == 4 and "tax_per_mu" in below["results"][0]["indicators"]


def test_api_creates_a_run_that_is_carried_out(client_as, operator_wuxing, regions, scheme, county_data):
    client = client_as(operator_wuxing)
    refused = client.post("/api/evaluation/runs/", {"scheme": scheme.pk, "region": regions["nanxun"].pk})
    assert refused.status_code == 403
    created = client.post("/api/evaluation/runs/", {"scheme": scheme.pk, "region": regions["wuxing"].pk})
    assert created.status_code == 201
    run = Run.objects.get()
    assert run.year == scheme.year and run.status == Run.Status.DONE and run.results.count() == 24


def test_api_validates_schemes(client_as, city_admin):
    client = client_as(city_admin)
    bad = client.post("/api/evaluation/schemes/", {"toml": SCHEME_TOML.replace("weight = 60", 'weight = "x"')})
    assert bad.status_code == 400 and bad.json()["toml"] == ["分组 above 指标 tax_per_mu 的权重不是数字"]
    good = client.post("/api/evaluation/schemes/", {"toml": SCHEME_TOML})
    assert good.status_code == 201
    assert Scheme.objects.get().name == "测试区2024年度亩均效益评价"


def test_an_api_refusal_is_in_the_users_language_only(client_as, city_admin):
    """The same bad scheme is refused in Chinese by default and in English only for a user who chose English."""
    client = client_as(city_admin)
    text = SCHEME_TOML.replace("weight = 60", 'weight = "x"')
    chinese = client.post("/api/evaluation/schemes/", {"toml": text}).json()["toml"]
    assert chinese == ["分组 above 指标 tax_per_mu 的权重不是数字"]
    client.cookies["django_language"] = "en"
    english = client.post("/api/evaluation/schemes/", {"toml": text}).json()["toml"]
    assert english == ["group above, indicator tax_per_mu: weight is not a number"]
