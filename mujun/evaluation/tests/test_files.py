"""A run's files hold every enterprise's tax, revenue, energy and credit code: the input snapshot is handed out
only to signed-in users through the run's URL, and the published run's cached workbook only by its export."""

from django.conf import settings
from django.urls import reverse

from mujun.evaluation.models import Run


def test_the_input_snapshot_only_through_the_run(published_run, client, client_as, viewer):
    url = reverse("evaluation:run_snapshot", args=[published_run.pk])
    storage_path = settings.MEDIA_URL + published_run.input_snapshot.name  # /media/runs/run-1-2024.parquet
    for path in (url, storage_path):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    reader = client_as(viewer)
    assert reader.get(storage_path).status_code == 404
    response = reader.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"PAR1")
    assert response["Content-Type"] == "application/vnd.apache.parquet"
    assert response["Content-Disposition"] == f'attachment; filename="run-{published_run.pk}-2024.parquet"'
    assert response["X-Content-Type-Options"] == "nosniff"
    page = reader.get(published_run.get_absolute_url()).content.decode()
    assert url in page and settings.MEDIA_URL not in page
    assert reader.get(reverse("evaluation:run_snapshot", args=[published_run.pk + 1])).status_code == 404


def test_the_cached_workbook_of_a_published_run_is_not_public(finished_run, client, client_as, viewer):
    Run.objects.filter(pk=finished_run.pk).update(status=Run.Status.PUBLISHED)
    reader = client_as(viewer)
    assert reader.get(reverse("evaluation:run_export", args=[finished_run.pk])).status_code == 200
    cached = next((settings.MEDIA_ROOT / "exports").iterdir()).name
    anonymous = client.get(f"{settings.MEDIA_URL}exports/{cached}")
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    assert reader.get(f"{settings.MEDIA_URL}exports/{cached}").status_code == 404
