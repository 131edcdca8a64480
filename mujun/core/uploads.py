"""Files people upload: which ones the platform keeps, judged by their bytes and not by their names alone,
and how it hands them back: only through a view naming the record a file belongs to, to a user who may read
that record, as a download (never as a page of the platform's origin that could run script).

Apps call :func:`check_upload` (or put :class:`FileContentValidator` on a model's FileField) and mount a
:class:`RecordFileView` for each file field under their own URLs.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.views import View
from PIL import Image, UnidentifiedImageError

from mujun.core.scoping import can_read_record

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _image_format(content: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            return image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def _zip_holding(content: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


@dataclass(frozen=True)
class FileType:
    label: str  # as named in messages
    content_type: str
    holds: Callable[[bytes], bool]  # whether these bytes are a file of this type


JPEG = FileType("JPEG", "image/jpeg", lambda content: _image_format(content) == "JPEG")
PNG = FileType("PNG", "image/png", lambda content: _image_format(content) == "PNG")
PDF = FileType("PDF", "application/pdf", lambda content: content.startswith(b"%PDF-"))
DOCX = FileType(
    "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    lambda content: _zip_holding(content, "word/document.xml"),
)  # fmt: skip
XLSX = FileType(
    "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    lambda content: _zip_holding(content, "xl/workbook.xml"),
)  # fmt: skip
# Every file type the platform accepts from people, by extension.
FILE_TYPES = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF, ".docx": DOCX, ".xlsx": XLSX}
IMAGES = (".jpg", ".jpeg", ".png")
IMAGES_AND_PDF = (*IMAGES, ".pdf")
# Files the platform writes itself, typed by extension when they are handed back.
CONTENT_TYPES = {ext: t.content_type for ext, t in FILE_TYPES.items()} | {".parquet": "application/vnd.apache.parquet"}


def check_size(name: str, size: int) -> None:
    """Refuses a file larger than MAX_UPLOAD_BYTES: call it before reading an uploaded file into memory."""
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("File %(name)s is larger than %(limit)d MB.") % {"name": name, "limit": MAX_UPLOAD_BYTES // 2**20}
        )


def check_upload(name: str, content: bytes, accepted: Iterable[str]) -> FileType:
    """Refuses (ValidationError naming the file and the problem) a file whose extension is not among
    ``accepted``, which is too large or empty, or whose bytes are not a file of its extension's type."""
    accepted = tuple(accepted)
    extension = Path(name).suffix.lower()
    if extension not in accepted:
        names = ", ".join(e.lstrip(".") for e in accepted)
        raise ValidationError(_("File %(name)s: only %(types)s files are accepted.") % {"name": name, "types": names})
    check_size(name, len(content))
    if not content:
        raise ValidationError(_("File %(name)s is empty.") % {"name": name})
    file_type = FILE_TYPES[extension]
    if not file_type.holds(content):
        raise ValidationError(
            _("File %(name)s: its content is not a %(type)s file.") % {"name": name, "type": file_type.label}
        )
    return file_type


@deconstructible
class FileContentValidator:
    """Validator of a model's FileField: a newly uploaded file passes :func:`check_upload`. A file already
    stored is not read again."""

    def __init__(self, accepted: Iterable[str]):
        self.accepted = tuple(accepted)

    def __call__(self, value) -> None:
        if not value or getattr(value, "_committed", True):
            return
        check_size(value.name, value.size)
        value.seek(0)
        content = value.read()
        value.seek(0)
        check_upload(Path(value.name).name, content, self.accepted)

    def __eq__(self, other) -> bool:
        return isinstance(other, FileContentValidator) and self.accepted == other.accepted


def file_response(field_file, filename: str, inline_jpeg: bool = False) -> FileResponse:
    """The stored file as a download named ``filename``. Only a JPEG the platform wrote itself (a thumbnail)
    is shown inline; nothing is ever typed as a page, and the browser may neither sniff nor run it."""
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing.")) from None
    if inline_jpeg:
        content_type = JPEG.content_type
    else:
        content_type = CONTENT_TYPES.get(Path(filename).suffix.lower()) or "application/octet-stream"
    response = FileResponse(handle, as_attachment=not inline_jpeg, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class RecordFileView(LoginRequiredMixin, View):
    """One file field of one record, handed to a signed-in user who may read the record. ``lookups`` maps the
    URL's keywords to the record's fields (e.g. ``{"case_pk": "case_id", "pk": "pk"}``); ``filename_field``
    names the field keeping the file's original name (default: the stored file's name)."""

    model = None
    field = ""
    lookups = {"pk": "pk"}
    filename_field = ""
    inline_jpeg = False

    def get(self, request, **kwargs):
        record = get_object_or_404(self.model, **{field: kwargs[keyword] for keyword, field in self.lookups.items()})
        if not can_read_record(request.user, record):
            raise PermissionDenied
        field_file = getattr(record, self.field)
        if not field_file:
            raise Http404
        filename = getattr(record, self.filename_field) if self.filename_field else Path(field_file.name).name
        return file_response(field_file, filename, inline_jpeg=self.inline_jpeg)
