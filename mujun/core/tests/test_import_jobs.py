"""Imports as background jobs: progress, all-or-nothing with a downloadable report, each user's own jobs;
and the bulk writer's change detection (only changed rows written, each with its history row)."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mujun.core.services import report_progress, start_import
from mujun.enterprises.imports import EnterpriseImporter
from mujun.enterprises.models import Enterprise, EnterpriseYear

HEADERS = "uscc,name,region,above_scale,land_mu,tax"


def csv(*rows: str) -> bytes:
    return "\n".join([HEADERS, *rows]).encode()


def good_rows(uscc, count: int = 3, tax: int = 10) -> list[str]:
    return [f"{uscc(n)},企业{n},吴兴区,是,{10 + n},{tax + n}" for n in range(1, count + 1)]


def post(client, data: bytes, name: str = "企业.csv"):
    return client.post(
        reverse("enterprises:enterprise_import"), {"file": SimpleUploadedFile(name, data), "year": 2023}, follow=True
    )


def test_an_upload_becomes_a_job_whose_page_shows_the_counts(client_as, city_admin, regions, uscc):
    response = post(client_as(city_admin), csv(*good_rows(uscc)))
    job = response.context["job"]
    assert response.redirect_chain == [(job.get_absolute_url(), 302)]
    assert (job.status, job.stage, job.progress, job.rows_total) == ("done", "finished", 100, 3)
    assert job.counts["企业"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert job.file.read() == csv(*good_rows(uscc))  # the upload is kept as sent
    assert 'id="import-result"' in response.content.decode()


def test_the_import_reports_each_stage_in_order(city_admin, regions, uscc):
    reported = []
    importer = EnterpriseImporter(city_admin, year=2023)
    importer.on_progress = lambda stage, done, rows: reported.append((stage, done, rows))
    importer.run(csv(*good_rows(uscc, 4)), filename="企业.csv")
    stages = [stage for stage, _done, _rows in reported]
    assert stages[0] == "reading" and stages[-1] == "writing"
    assert stages.index("writing") > max(i for i, stage in enumerate(stages) if stage == "checking")
    checking = [done for stage, done, _rows in reported if stage == "checking"]
    assert checking == sorted(checking) and len(set(checking)) > 2  # column by column
    assert ("checking", 0.0, 4) in reported  # the row count, as soon as the file is read


def test_a_running_jobs_page_polls_its_progress(client_as, city_admin, regions, settings, uscc):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # never runs
    job = start_import(city_admin, EnterpriseImporter, {"year": 2023}, "企业.csv", csv(*good_rows(uscc)))
    report_progress(job, "checking", 0.5, rows=3)
    client = client_as(city_admin)
    page = client.get(job.get_absolute_url()).content.decode()
    fragment = reverse("import_job_progress", args=[job.pk])
    assert f'hx-get="{fragment}"' in page and "35 %" in page and "检查每一行" in page
    assert not Enterprise.objects.exists()
    report_progress(job, "writing", 0.0)
    assert "60 %" in client.get(fragment).content.decode()


def test_a_finished_job_makes_the_polling_page_reload(client_as, city_admin, regions, uscc):
    job = post(client_as(city_admin), csv(*good_rows(uscc))).context["job"]
    response = client_as(city_admin).get(reverse("import_job_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"


def test_a_failed_import_writes_nothing_and_offers_the_report(client_as, city_admin, regions, uscc):
    client = client_as(city_admin)
    rows = good_rows(uscc, 5)
    rows[3] = f"{uscc(4)},企业4,吴兴区,是,-3,14"
    response = post(client, csv(*rows))
    job = response.context["job"]
    assert job.status == "failed" and job.problem_rows == [[5, "用地面积(亩)", "land_mu", "必须大于0", "must be greater than 0"]]
    assert not Enterprise.objects.exists() and not EnterpriseYear.objects.exists()
    assert not Enterprise.history.exists() and not EnterpriseYear.history.exists()
    page = response.content.decode()
    download = reverse("import_job_problems", args=[job.pk])
    assert 'id="import-problems"' in page and f'href="{download}"' in page
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(download).content)).active
    assert [cell.value for cell in sheet[1]] == ["行号", "表头", "列名", "问题"]
    assert [cell.value for cell in sheet[2]] == [5, "用地面积(亩)", "land_mu", "必须大于0"]


def test_a_county_operator_cannot_see_anothers_job(client_as, operator_wuxing, operator_nanxun, city_admin, regions, uscc):
    job = post(client_as(operator_nanxun), csv(f"{uscc(1)},企业1,南浔区,是,10,1")).context["job"]
    assert job.status == "done" and job.user == operator_nanxun
    for name in ("import_job", "import_job_progress", "import_job_problems"):
        url = reverse(name, args=[job.pk])
        assert client_as(operator_wuxing).get(url).status_code == 404
        assert client_as(operator_nanxun).get(url).status_code == 200
        assert client_as(city_admin).get(url).status_code == 200
    their_page = client_as(operator_wuxing).get(reverse("enterprises:enterprise_import")).content.decode()
    assert job.get_absolute_url() not in their_page
    assert job.get_absolute_url() in client_as(operator_nanxun).get(reverse("enterprises:enterprise_import")).content.decode()


# -- the bulk writer --------------------------------------------------------------------------------------


def test_a_re_import_writes_only_the_changed_rows_with_their_history(city_admin, regions, uscc):
    first = EnterpriseImporter(city_admin, year=2023).run(csv(*good_rows(uscc, 10)), filename="a.csv")
    assert first.counts["企业年度数据"].created == 10
    assert EnterpriseYear.history.filter(history_type="+").count() == 10

    same = EnterpriseImporter(city_admin, year=2023).run(csv(*good_rows(uscc, 10)), filename="a.csv")
    assert vars(same.counts["企业年度数据"]) == {"created": 0, "updated": 0, "unchanged": 10}
    assert vars(same.counts["企业"]) == {"created": 0, "updated": 0, "unchanged": 10}
    assert EnterpriseYear.history.count() == 10

    rows = good_rows(uscc, 10)
    rows[2] = f"{uscc(3)},企业3,吴兴区,是,13,99.5"  # the tax changes
    rows[7] = f"{uscc(8)},企业8改名,吴兴区,是,18,18"  # the name changes
    changed = EnterpriseImporter(city_admin, year=2023).run(csv(*rows), filename="a.csv")
    assert vars(changed.counts["企业年度数据"]) == {"created": 0, "updated": 1, "unchanged": 9}
    assert vars(changed.counts["企业"]) == {"created": 0, "updated": 1, "unchanged": 9}
    edited = EnterpriseYear.history.get(history_type="~")
    assert (edited.enterprise.uscc, edited.tax, edited.history_user, edited.history_change_reason) == (
        uscc(3), 99.5, city_admin, "import"
    )
    assert Enterprise.history.get(history_type="~").name == "企业8改名"
    assert EnterpriseYear.objects.get(enterprise__uscc=uscc(3)).tax == 99.5


def test_new_records_take_the_models_defaults(city_admin, regions, uscc):
    EnterpriseImporter(city_admin, year=2023).run(csv(*good_rows(uscc, 1)), filename="a.csv")
    enterprise = Enterprise.objects.get()
    year = enterprise.years.get()
    assert enterprise.active is True and enterprise.industry_code == ""
    assert (year.coefficient, year.bonus, year.major_violation, year.value_added) == (1.0, 0.0, False, None)


def every_column_csv(rows: int) -> bytes:
    """A county's file of every column the enterprise import takes (dates, 是/否, money, text, empty cells)."""
    import polars as pl

    from mujun.engine.demo import generate_enterprises
    from mujun.engine.io import INPUT_COLUMNS

    frame = generate_enterprises(n_above=rows // 2, n_below=rows - rows // 2, years=(2024,)).drop("town_code", "prior_d_years")
    frame = frame.with_columns(
        pl.col(name).replace_strict({True: "是", False: "否"}, return_dtype=pl.Utf8)
        for name, dtype in frame.schema.items()
        if dtype == pl.Boolean
    )
    return frame.select(pl.col("year").alias("年度"), *[pl.col(c).alias(INPUT_COLUMNS[c]) for c in frame.columns if c != "year"]).write_csv().encode()


def test_the_creation_rows_of_an_import_are_the_records_as_stored(city_admin, regions):
    """The import takes its new records' ids before inserting them and copies their history rows by that
    range: the rows hold exactly what copying every stored record (write_history's INSERT … SELECT) gives."""
    from mujun.core.history import write_history
    from mujun.regions.demo import load_regions

    load_regions()
    EnterpriseImporter(city_admin).run(every_column_csv(60), filename="企业.csv")
    for model in (Enterprise, EnterpriseYear):
        history = model.history.model
        extra = ["history_type", "history_user_id", "history_change_reason", "history_date"]
        fields = [f.attname for f in history.tracked_fields] + extra
        written = list(history.objects.order_by("id").values(*fields))
        assert len(written) == model.objects.count() == 60
        history.objects.all().delete()
        write_history(model.objects.all(), "+", user=city_admin, reason="import", date=written[0]["history_date"])
        assert list(history.objects.order_by("id").values(*fields)) == written


def test_new_records_never_take_the_id_of_a_deleted_one(city_admin, regions, uscc):
    """The ids an import takes before inserting follow the highest the table ever gave (as the database's
    own numbering does): a deleted record's history never mixes with a new record's."""
    EnterpriseImporter(city_admin, year=2023).run(csv(*good_rows(uscc, 3)), filename="a.csv")
    last = EnterpriseYear.objects.order_by("pk").last()
    deleted = last.pk
    last.delete()
    EnterpriseImporter(city_admin, year=2024).run(csv(*good_rows(uscc, 3)), filename="b.csv")
    new = EnterpriseYear.objects.filter(year=2024).order_by("pk")
    assert [year.pk for year in new] == list(range(deleted + 1, deleted + 4))
    assert EnterpriseYear.history.filter(id=deleted).values_list("history_type", flat=True).count() == 2  # + and -
    assert EnterpriseYear.history.filter(history_type="+", year=2024).count() == 3
