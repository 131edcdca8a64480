"""A project's evidence is handed out only to signed-in users, through URLs naming the evidence: the file as
a download under its original name, the platform's own JPEG thumbnail inline."""

from datetime import date

from django.conf import settings
from django.urls import reverse

from mujun.projects.oc4ids import project_release
from mujun.projects.services import Upload, advance
from mujun.projects.tests.conftest import PDF, png_bytes


def test_evidence_and_thumbnails_only_through_their_urls(project, client, client_as, operator_wuxing, viewer):
    advance(project, "signed", date(2024, 1, 12), [Upload("投资协议.pdf", PDF, "document")], operator_wuxing)
    advance(project, "landed", date(2024, 3, 1), [Upload("土地合同.pdf", PDF, "document")], operator_wuxing)
    advance(
        project, "construction", date(2024, 4, 20),
        [Upload("工地.png", png_bytes(), "photo"), Upload("施工许可证.pdf", PDF, "document")], operator_wuxing,
    )  # fmt: skip
    photo = project.evidence.get(original_name="工地.png")
    file_url = reverse("projects:evidence_file", args=[photo.pk])
    thumbnail_url = reverse("projects:evidence_thumbnail", args=[photo.pk])
    storage_paths = [settings.MEDIA_URL + photo.file.name, settings.MEDIA_URL + photo.thumbnail.name]

    for path in [file_url, thumbnail_url, *storage_paths]:
        anonymous = client.get(path)
        assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")
    reader = client_as(viewer)
    assert all(reader.get(path).status_code == 404 for path in storage_paths)

    download = reader.get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == png_bytes()
    assert download["Content-Type"] == "image/png" and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == "attachment; filename*=utf-8''%E5%B7%A5%E5%9C%B0.png"
    thumbnail = reader.get(thumbnail_url)
    assert thumbnail["Content-Type"] == "image/jpeg" and thumbnail["Content-Disposition"].startswith("inline")
    assert b"".join(thumbnail.streaming_content).startswith(b"\xff\xd8\xff")

    page = reader.get(project.get_absolute_url()).content.decode()
    assert file_url in page and thumbnail_url in page and settings.MEDIA_URL not in page
    document = project.evidence.get(original_name="施工许可证.pdf")
    assert reader.get(reverse("projects:evidence_thumbnail", args=[document.pk])).status_code == 404  # none kept
    urls = [d["url"] for d in project_release(project, "http://mujun.example")["documents"]]
    assert "http://mujun.example" + file_url in urls and not any(settings.MEDIA_URL in u for u in urls)
