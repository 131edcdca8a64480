"""Evidence of disposal cases: only images and PDF, judged by their bytes and at most 20 MB; handed out only
to signed-in users through the URL of its progress note, as a download."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mujun.core.tests.test_uploads import SVG_WITH_SCRIPT, image_bytes
from mujun.core.uploads import MAX_UPLOAD_BYTES
from mujun.land.models import DisposalCase, DisposalProgress, Parcel


@pytest.fixture
def case(regions):
    parcel = Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=40)
    return DisposalCase.objects.create(
        parcel=parcel, category="supplied_not_used", measure="urge_start", responsible_unit="吴兴区自然资源和规划分局",
        deadline=timezone.localdate() + timedelta(days=30),
    )  # fmt: skip


def note_progress(client, case, name: str, content: bytes):
    return client.post(
        reverse("land:case_progress", args=[case.pk]),
        {"noted_on": timezone.localdate().isoformat(), "note": "已发催告函", "evidence": SimpleUploadedFile(name, content)},
        follow=True,
    )


def stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("evil.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("evil.svg", SVG_WITH_SCRIPT),
        ("evil.png", b"<html><script>alert(document.cookie)</script></html>"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BYTES),
    ],
)
def test_evidence_other_than_images_and_pdf_is_refused_and_nothing_stored(case, client_as, operator_wuxing, name, content):
    response = note_progress(client_as(operator_wuxing), case, name, content)
    assert not DisposalProgress.objects.exists() and stored_files() == []
    error = next(str(m) for m in response.context["messages"] if m.level_tag == "error")
    assert name in error


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("催告函.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"), ("现场.jpg", image_bytes("JPEG"), "image/jpeg"),
     ("现场.png", image_bytes("PNG"), "image/png")],
)  # fmt: skip
def test_evidence_is_a_download_for_signed_in_users_only(case, client, client_as, operator_wuxing, viewer, name, content, content_type):
    note_progress(client_as(operator_wuxing), case, name, content)
    progress = DisposalProgress.objects.get()
    url = reverse("land:progress_evidence", args=[case.pk, progress.pk])
    storage_path = settings.MEDIA_URL + progress.evidence.name

    for path in (url, storage_path):
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    reader = client_as(viewer)
    assert reader.get(storage_path).status_code == 404
    response = reader.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response["Content-Disposition"]
    assert url in reader.get(case.get_absolute_url()).content.decode()
    assert reader.get(reverse("land:progress_evidence", args=[case.pk + 1, progress.pk])).status_code == 404


def test_evidence_stored_before_the_check_downloads_as_bytes(case, client_as, viewer):
    """A page or an SVG kept before evidence was checked never reaches the browser as something to show."""
    progress = DisposalProgress.objects.create(case=case, note="旧附件")
    progress.evidence.save("evil.html", ContentFile(b"<script>alert(1)</script>"))
    response = client_as(viewer).get(reverse("land:progress_evidence", args=[case.pk, progress.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert "sandbox" in response["Content-Security-Policy"]
