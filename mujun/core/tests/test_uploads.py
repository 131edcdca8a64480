"""Uploaded files: accepted by their bytes, never served from a public path, and every page under a
Content-Security-Policy."""

import importlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import Resolver404, clear_url_caches, resolve
from PIL import Image

from mujun.core.uploads import IMAGES_AND_PDF, MAX_UPLOAD_BYTES, check_upload


def image_bytes(format: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format)
    return out.getvalue()


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


@pytest.mark.parametrize(
    ("name", "content"),
    [("photo.jpg", image_bytes("JPEG")), ("photo.PNG", image_bytes("PNG")), ("letter.pdf", b"%PDF-1.4\n%%EOF\n")],
)
def test_images_and_pdf_are_accepted_by_their_bytes(name, content):
    check_upload(name, content, IMAGES_AND_PDF)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("evil.html", b"<script>alert(1)</script>", "类型不符"),
        ("evil.svg", SVG_WITH_SCRIPT, "类型不符"),
        ("evil.png", b"<html><script>alert(1)</script></html>", "不是PNG文件"),
        ("evil.jpg", image_bytes("PNG"), "不是JPEG文件"),  # a PNG would be served typed as a JPEG
        ("evil.pdf", b"<html>%PDF-</html>", "不是PDF文件"),
        ("empty.pdf", b"", "为空"),
        ("huge.pdf", b"%PDF-" + b"0" * MAX_UPLOAD_BYTES, "超过20MB"),
    ],
)
def test_anything_else_is_refused_naming_the_file_and_the_problem(name, content, problem):
    with pytest.raises(ValidationError) as refusal:
        check_upload(name, content, IMAGES_AND_PDF)
    assert name in refusal.value.messages[0] and problem in refusal.value.messages[0]


def test_every_response_carries_a_content_security_policy(client, viewer, client_as):
    for response in (client.get("/accounts/login/"), client_as(viewer).get("/")):
        policy = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
        assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'self'" and policy["form-action"] == "'self'"
        assert policy["img-src"] == "'self' data:"
        assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]


def test_pages_carry_no_inline_script(client_as, viewer):
    """An inline script or a handler attribute would be blocked by the policy."""
    page = client_as(viewer).get("/").content.decode()
    assert "<script>" not in page and "onchange=" not in page and "core/mujun.js" in page


def test_media_has_no_route_even_in_debug(settings, client):
    """The files under MEDIA_ROOT are reached only through views naming their record: in DEBUG too, no
    URL serves them by their storage path, and none is open without a login."""
    import mujun.urls

    settings.DEBUG = True
    try:
        clear_url_caches()
        importlib.reload(mujun.urls)
        with pytest.raises(Resolver404):
            resolve("/media/runs/run-3-2024.parquet")
        response = client.get("/media/runs/run-3-2024.parquet")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    finally:
        settings.DEBUG = False
        importlib.reload(mujun.urls)
        clear_url_caches()
