"""The rules of a project's life cycle and its monthly reports, shared by the pages, the API and imports.

Every refusal is a :class:`Refused` carrying a message in the user's language (a refused file: the message of
mujun.core.uploads, in the user's language); nothing is stored when a rule refuses (each operation runs in one transaction, files included: a file written before a refusal is
deleted again).
"""

from __future__ import annotations

import io
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from PIL import Image

from mujun.core import uploads as core_uploads
from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.scoping import require_edit
from mujun.engine.projects import STAGE_ORDER, month_end
from mujun.engine.text import in_language
from mujun.projects import lists
from mujun.projects.models import Evidence, MonthClosing, MonthlyReport, Project, Stage, StageChange

THUMBNAIL_SIZE = (320, 320)
ABOVE_SCALE_REVENUE = 2000.0  # 万元: 20 million yuan of yearly revenue

PHOTO, DOCUMENT = Evidence.Kind.PHOTO, Evidence.Kind.DOCUMENT
# What moves a project into each stage: every group needs at least one file of one of its kinds.
REQUIRED_EVIDENCE: dict[str, list[set[str]]] = {
    Stage.SIGNED: [{DOCUMENT}],  # the investment agreement
    Stage.LANDED: [{DOCUMENT}],  # land contract or lease
    Stage.CONSTRUCTION: [{PHOTO}, {DOCUMENT}],  # site photo (见工地) and the permit
    Stage.COMPLETED: [{PHOTO}, {DOCUMENT}],  # equipment photo (见设备) and the acceptance record
    Stage.COMMISSIONED: [{PHOTO, DOCUMENT}],  # product photo (见产品) or the first invoice
    Stage.CAPACITY: [{DOCUMENT}],  # output figures
    Stage.ABOVE_SCALE: [{DOCUMENT}],  # statistics
}
KIND_NAMES = {PHOTO: ("照片", "photo"), DOCUMENT: ("文件", "document")}
# The files kept of each kind, by extension (a scanned document is an image).
ACCEPTED_EXTENSIONS = {PHOTO: core_uploads.IMAGES, DOCUMENT: (".pdf", ".docx", ".xlsx", *core_uploads.IMAGES)}


class Refused(ValueError):
    """A rule refused the operation; ``field`` names the field refused, when the rule is a field's."""

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class Upload:
    """A file to keep as evidence: its name, its bytes and whether it is a photo or a document."""

    name: str
    content: bytes
    kind: str

    @classmethod
    def from_file(cls, uploaded, kind: str) -> "Upload":
        with _refused_upload():
            core_uploads.check_size(uploaded.name, uploaded.size)  # before reading it into memory
        return cls(uploaded.name, uploaded.read(), kind)


@contextmanager
def _refused_upload():
    """The core's refusal of a file, as this module's Refused."""
    try:
        yield
    except ValidationError as error:
        raise Refused(" ".join(error.messages)) from error


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def check_upload(upload: Upload) -> None:
    """Refuses a file of a type the platform does not keep for its kind, too large, or whose bytes are not
    its type (mujun.core.uploads)."""
    with _refused_upload():
        core_uploads.check_upload(upload.name, upload.content, ACCEPTED_EXTENSIONS[upload.kind])


def _thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()


def keep_files(project: Project, uploads: list[Upload], user, stored: list, stage: str = "", report=None) -> list[Evidence]:
    """Stores the files (with thumbnails of images) as evidence, noting each stored file in ``stored`` so
    that :func:`atomic_with_files` can delete them if the transaction rolls back."""
    kept = []
    for upload in uploads:
        evidence = Evidence(
            project=project, stage=stage, report=report, kind=upload.kind, original_name=upload.name[:200],
            size=len(upload.content), uploaded_by=user,
        )  # fmt: skip
        evidence.file.save(upload.name, ContentFile(upload.content), save=False)
        stored.append(evidence.file)
        if Path(upload.name).suffix.lower() in core_uploads.IMAGES:
            thumbnail = ContentFile(_thumbnail(upload.content))
            evidence.thumbnail.save(Path(upload.name).stem + "-thumb.jpg", thumbnail, save=False)
            stored.append(evidence.thumbnail)
        evidence.save()
        kept.append(evidence)
    return kept


def atomic_with_files(operation):
    """Runs ``operation(stored)`` in one transaction; if it fails, the files it stored are deleted too."""
    stored: list = []
    try:
        with transaction.atomic():
            return operation(stored)
    except Exception:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise


def missing_evidence(stage: str, uploads: list[Upload]) -> list[set[str]]:
    kinds = {u.kind for u in uploads}
    return [group for group in REQUIRED_EVIDENCE[stage] if not group & kinds]


def advance(project: Project, stage: str, on: date, uploads: list[Upload], user, automatic: bool = False,
            reason: str = "", statistics=None) -> Project:
    """Moves the project into the next stage on ``on`` with the evidence that stage requires (an automatic
    move: the ``statistics`` it follows from, described in ``reason``). Never on a day of a closed month."""
    if user is not None:
        require_edit(user, project)
    current = STAGE_ORDER.index(project.stage)
    wanted = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1
    if wanted <= current:
        raise Refused(
            _("the project is already at %(stage_label)s; it cannot move forward to %(next_label)s")
            % {"stage_label": _stage_label(project.stage), "next_label": _stage_label(stage) if wanted >= 0 else stage}
        )
    if wanted != current + 1:
        expected = STAGE_ORDER[current + 1]
        raise Refused(
            _("a stage cannot be skipped: the next stage is %(expected_label)s")
            % {"expected_label": _stage_label(expected)}
        )
    if on is None:
        raise Refused(_("the date of %(stage_label)s is required") % {"stage_label": _stage_label(stage)})
    if on > date.today():
        raise Refused(_("the date of %(stage_label)s cannot be in the future") % {"stage_label": _stage_label(stage)})
    if closed_month(on) is not None:
        raise Refused(
            _("The four lists of %(month)s are closed: the date of %(stage)s cannot fall in that month; a city "
              "administrator may reopen the month.") % {"month": f"{on:%Y-%m}", "stage": Stage(stage).label}
        )  # fmt: skip
    previous = STAGE_ORDER[current]
    previous_date = getattr(project, f"actual_{previous}", None) if current > 0 else None
    if previous_date is not None and on < previous_date:
        raise Refused(
            _("the date of %(stage_label)s (%(on)s) is before the date of %(previous_label)s (%(previous_date)s)")
            % {
                "stage_label": _stage_label(stage),
                "on": on,
                "previous_label": _stage_label(previous),
                "previous_date": previous_date,
            }
        )
    if not automatic:
        for upload in uploads:
            check_upload(upload)
        for group in missing_evidence(stage, uploads):
            zh = "或".join(KIND_NAMES[k][0] for k in sorted(group))
            en = " or ".join(KIND_NAMES[k][1] for k in sorted(group))
            kinds = in_language(zh, en, get_language())
            raise Refused(
                _("moving to %(stage_label)s requires a %(kinds)s as evidence")
                % {"stage_label": _stage_label(stage), "kinds": kinds}
            )

    def store(stored):
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.stage != project.stage:
            raise Refused(_("the project's stage was changed meanwhile; reload"))
        locked.stage = stage
        setattr(locked, f"actual_{stage}", on)
        locked._change_reason = "automatic" if automatic else "advance"
        locked.save()
        keep_files(locked, uploads, user, stored, stage=stage)
        StageChange.objects.create(
            project=locked, from_stage=previous, to_stage=stage, date=on, user=user, automatic=automatic,
            reason=reason, statistics=statistics,
        )  # fmt: skip
        return locked

    advanced = atomic_with_files(store)
    project.refresh_from_db()
    return advanced


def require_corrector(user) -> None:
    """Only a city administrator moves a project back (``PermissionDenied`` for anybody else)."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied(_("only a city administrator may move a project back"))


def correct_back(project: Project, stage: str, user, reason: str) -> Project:
    """A city administrator moves the project back to an earlier stage; the later actual dates are cleared
    and the act is recorded with its reason."""
    require_corrector(user)
    if stage not in STAGE_ORDER or STAGE_ORDER.index(stage) >= STAGE_ORDER.index(project.stage):
        raise Refused(
            _("a correction must go back to a stage before %(stage_label)s")
            % {"stage_label": _stage_label(project.stage)}
        )
    if not reason.strip():
        raise Refused(_("a correction backwards needs a reason"))
    with transaction.atomic():
        previous = project.stage
        for later in STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :]:
            setattr(project, f"actual_{later}", None)
        project.stage = stage
        project._change_reason = f"correction: {reason}"[:100]
        project.save()
        StageChange.objects.create(
            project=project, from_stage=previous, to_stage=stage, correction=True, reason=reason, user=user
        )
    return project


def create_with_reached_stages(projects: list[Project], user) -> list[Project]:
    """Stores new projects entered with the stages they reached before the platform kept them (the demo city,
    a ledger taken over): each project is at the last stage it has an actual date for, and a stage change
    by ``user`` is recorded for every date. Refused when a stage is skipped or a date is before the one of
    the stage before it."""
    from mujun.core.history import bulk_create

    changes = []
    for project in projects:
        reached = [stage for stage in STAGE_ORDER[1:] if getattr(project, f"actual_{stage}", None) is not None]
        if reached != list(STAGE_ORDER[1 : len(reached) + 1]):
            raise Refused(_("Project %(project)s skips a stage.") % {"project": project.code})
        dates = [getattr(project, f"actual_{stage}") for stage in reached]
        if dates != sorted(dates):
            raise Refused(_("The stage dates of project %(project)s are out of order.") % {"project": project.code})
        project.stage = reached[-1] if reached else Stage.PLANNED
        changes.append([(before, stage, on) for before, stage, on in zip(STAGE_ORDER, reached, dates, strict=False)])
    with transaction.atomic():
        created = bulk_create(Project, projects, user=user)
        StageChange.objects.bulk_create(
            StageChange(project=project, from_stage=before, to_stage=stage, date=on, user=user)
            for project, moves in zip(created, changes, strict=True)
            for before, stage, on in moves
        )
    return created


def mark_above_scale(enterprise_ids, year: int) -> int:
    """The statistics of ``year`` make 上规 the at-capacity (达产) projects of the enterprises whose revenue
    reached 20 million yuan, dated 31 December of that year, with the statistics as evidence. Returns how many
    moved.

    Nothing moves before the year has ended, for a project that reached 达产 after it (the figures are older
    than the project's capacity), or when December of that year is closed. A commissioned project stays:
    达产 needs its output figures, which an enterprise's revenue is not, and no stage is skipped.
    """
    from mujun.enterprises.models import EnterpriseYear

    year_end = date(year, 12, 31)
    if year_end >= date.today() or closed_month(year_end) is not None:
        return 0
    # The projects at capacity are few, an import's enterprises many: narrow by the projects first.
    given = set(enterprise_ids)
    candidates = [
        project
        for project in Project.objects.filter(stage=Stage.CAPACITY, actual_capacity__lte=year_end, enterprise__isnull=False).order_by("pk")
        if project.enterprise_id in given
    ]
    statistics = {
        figures.enterprise_id: figures
        for figures in EnterpriseYear.objects.filter(
            enterprise_id__in=[project.enterprise_id for project in candidates], year=year, revenue__gte=ABOVE_SCALE_REVENUE
        )
    }
    projects = [project for project in candidates if project.enterprise_id in statistics]
    for project in projects:
        figures = statistics[project.enterprise_id]
        reason = _("Revenue of %(year)s: %(revenue)s (10k yuan), enterprise statistics #%(id)s") % {
            "year": year, "revenue": f"{figures.revenue:g}", "id": figures.pk,
        }  # fmt: skip
        advance(project, Stage.ABOVE_SCALE, year_end, [], None, automatic=True, reason=reason, statistics=figures)
    return len(projects)


# -- closing a month of the four lists ----------------------------------------------------------------------


def require_city_admin(user, act: str) -> None:
    if user is None or not user.is_city_admin:
        raise PermissionDenied(_("Only a city administrator may %(act)s.") % {"act": act})


def _close(closing: MonthClosing, user) -> MonthClosing:
    """Stores the city's lists of the month as they are now and marks it closed."""
    closing.snapshot = lists.snapshot_bytes(lists.live_lists(None, closing.month))
    closing.closed_at = timezone.now()
    closing.closed_by = user
    closing.closes_on = None
    closing._change_reason = "closed" if user is not None else "closed automatically"
    closing._history_user = user
    closing.save()
    return closing


def close_due_months(today: date | None = None) -> int:
    """Closes the months whose closing day, set by the city, has come (run daily by ``close_months``, and
    before any closing is read, so a missed run changes nothing). Returns how many closed."""
    today = today or date.today()
    due = MonthClosing.objects.filter(closed_at=None, closes_on__lte=today).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            closing = MonthClosing.objects.select_for_update().get(pk=pk)
            if closing.closed_at is None and closing.closes_on is not None and closing.closes_on <= today:
                _close(closing, None)
                closed += 1
    return closed


def closed_month(day: date) -> MonthClosing | None:
    """The closing of the month of ``day`` if that month is closed."""
    close_due_months()
    return MonthClosing.objects.filter(month=day.replace(day=1), closed_at__isnull=False).first()


def _month_ended(month: date) -> None:
    if month_end(month) >= date.today():
        raise Refused(_("%(month)s has not ended; it cannot be closed yet.") % {"month": f"{month:%Y-%m}"})


def close_month(month: date, user) -> MonthClosing:
    """A city administrator closes the month: its four lists become the stored snapshot."""
    require_city_admin(user, _("close a month"))
    month = month.replace(day=1)
    _month_ended(month)
    with transaction.atomic():
        closing, _created = MonthClosing.objects.select_for_update().get_or_create(month=month)
        if closing.is_closed:
            raise Refused(_("%(month)s is already closed.") % {"month": f"{month:%Y-%m}"})
        return _close(closing, user)


def schedule_closing(month: date, closes_on: date | None, user) -> MonthClosing:
    """A city administrator sets the day the month closes by itself (or clears it with ``None``)."""
    require_city_admin(user, _("close a month"))
    month = month.replace(day=1)
    if closes_on is not None and closes_on <= month_end(month):
        raise Refused(_("The closing day must come after %(month)s has ended.") % {"month": f"{month:%Y-%m}"})
    with transaction.atomic():
        closing, _created = MonthClosing.objects.select_for_update().get_or_create(month=month)
        if closing.is_closed:
            raise Refused(_("%(month)s is already closed.") % {"month": f"{month:%Y-%m}"})
        closing.closes_on = closes_on
        closing._change_reason = "scheduled"
        closing._history_user = user
        closing.save()
    close_due_months()
    return closing


def reopen_month(month: date, user, reason: str) -> MonthClosing:
    """A city administrator reopens a closed month, with a reason; the history keeps the snapshot circulated,
    who reopened it and why. The lists are computed from the records again until the month is closed anew."""
    require_city_admin(user, _("reopen a month"))
    if not reason.strip():
        raise Refused(_("Reopening a month needs a reason."))
    month = month.replace(day=1)
    with transaction.atomic():
        closing = MonthClosing.objects.select_for_update().filter(month=month, closed_at__isnull=False).first()
        if closing is None:
            raise Refused(_("%(month)s is not closed.") % {"month": f"{month:%Y-%m}"})
        closing.closed_at = closing.closed_by = closing.snapshot = None
        closing.reopen_reason = reason.strip()
        closing._change_reason = f"reopened: {reason.strip()}"[:100]
        closing._history_user = user
        closing.save()
    return closing


def submit_report(project: Project, month: date, invested_month: float, invested_to_date: float | None,
                  notes: str, uploads: list[Upload], user, report: MonthlyReport | None = None) -> MonthlyReport:
    """A county operator's monthly report (or the resubmission of one sent back)."""
    require_edit(user, project)
    month = month.replace(day=1)
    if report is not None and report.status == MonthlyReport.Status.APPROVED:
        raise Refused(_("this report was approved and can no longer be changed"))
    candidate = MonthlyReport(pk=report.pk if report else None, project=project, month=month, invested_month=invested_month)
    if invested_to_date is None and invested_month is not None:
        invested_to_date = (candidate.earlier_to_date() or 0) + invested_month
    candidate.invested_to_date = invested_to_date
    try:  # the report's rules (MonthlyReport.clean), which the import applies too
        candidate.full_clean(
            exclude=["notes", "status", "review_note", "submitted_by", "reviewed_by"],
            validate_unique=False, validate_constraints=False,
        )  # fmt: skip
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise Refused(messages[0], field=field) from error
    for upload in uploads:
        if upload.kind != PHOTO:
            upload.kind = PHOTO
        check_upload(upload)

    def store(stored):
        nonlocal report
        if report is None:
            report = MonthlyReport(project=project, month=month)
        report.invested_month = invested_month
        report.invested_to_date = invested_to_date
        report.notes = notes
        report.status = MonthlyReport.Status.SUBMITTED
        report.submitted_by = user
        report.save()
        keep_files(project, uploads, user, stored, report=report)
        refresh_progress([project.pk])
        return report

    return atomic_with_files(store)


def review_report(report: MonthlyReport, approve: bool, note: str, user) -> MonthlyReport:
    """The city approves a report or sends it back with a note."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied(_("only a city administrator may review reports"))
    if not approve and not note.strip():
        raise Refused(_("sending a report back needs a note"))
    report.status = MonthlyReport.Status.APPROVED if approve else MonthlyReport.Status.RETURNED
    report.review_note = note
    report.reviewed_by = user
    report.save()
    return report


def approve_reports(reports, user) -> int:
    """The city approves every submitted report of the ``reports`` queryset at once (the demo's past months);
    returns how many. Each is recorded in its history as approved by ``user``."""
    from mujun.core.history import write_history

    if user is None or not user.is_city_admin:
        raise PermissionDenied(_("only a city administrator may review reports"))
    with transaction.atomic():
        submitted = reports.filter(status=MonthlyReport.Status.SUBMITTED)
        ids = list(submitted.values_list("pk", flat=True))
        MonthlyReport.objects.filter(pk__in=ids).update(status=MonthlyReport.Status.APPROVED, reviewed_by=user)
        write_history(MonthlyReport.objects.filter(pk__in=ids), "~", user=user, reason="review")
    return len(ids)


def delete_report(report: MonthlyReport, user) -> None:
    """Deletes a report not yet approved; an approved report is the city's record of the month and stays."""
    require_edit(user, report)
    with transaction.atomic():
        # Locked, so a review approving it meanwhile is seen.
        if MonthlyReport.objects.select_for_update().get(pk=report.pk).status == MonthlyReport.Status.APPROVED:
            raise DeletionRefused(_("%(report)s was approved and cannot be deleted.") % {"report": report})
        delete_record(report)
        refresh_progress([report.project_id])


def refresh_progress(project_ids) -> None:
    """Recomputes each project's latest month with investment reported (used by the board)."""
    from django.db.models import Max, OuterRef, Subquery

    latest = (
        MonthlyReport.objects.filter(project=OuterRef("pk"), invested_month__gt=0)
        .values("project")
        .annotate(latest=Max("month"))
        .values("latest")
    )
    Project.objects.filter(pk__in=list(project_ids)).update(last_progress_month=Subquery(latest))
