"""The rules of a project's life cycle and its monthly reports, shared by the pages, the API and imports.

Every refusal is a :class:`Refused` carrying a bilingual "中文 / English" message (a refused file: the message of
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
from django.utils.translation import gettext as _
from PIL import Image

from mujun.core import uploads as core_uploads
from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.scoping import require_edit
from mujun.engine.projects import STAGE_ORDER
from mujun.projects.models import Evidence, MonthlyReport, Project, Stage, StageChange

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
    """A rule refused the operation; the message is bilingual."""


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
    zh = {
        "planned": "谋划", "signed": "签约", "landed": "落地", "construction": "开工", "completed": "竣工",
        "commissioned": "投产", "capacity": "达产", "above_scale": "上规",
    }[stage]  # fmt: skip
    return f"{zh}（{stage}）"


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


def advance(project: Project, stage: str, on: date, uploads: list[Upload], user, automatic: bool = False) -> Project:
    """Moves the project into the next stage on ``on`` with the evidence that stage requires."""
    if user is not None:
        require_edit(user, project)
    current = STAGE_ORDER.index(project.stage)
    wanted = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else -1
    if wanted <= current:
        raise Refused(
            f"项目已处于{_stage_label(project.stage)}，不能前进到{_stage_label(stage) if wanted >= 0 else stage} / "
            f"the project is already at {project.stage}; it cannot move forward to {stage}"
        )
    if wanted != current + 1:
        expected = STAGE_ORDER[current + 1]
        raise Refused(
            f"不能跳过阶段：下一阶段应为{_stage_label(expected)} / a stage cannot be skipped: the next stage is {expected}"
        )
    if on is None:
        raise Refused(f"请填写{_stage_label(stage)}日期 / the date of {stage} is required")
    if on > date.today():
        raise Refused(f"{_stage_label(stage)}日期不能晚于今天 / the date of {stage} cannot be in the future")
    previous = STAGE_ORDER[current]
    previous_date = getattr(project, f"actual_{previous}", None) if current > 0 else None
    if previous_date is not None and on < previous_date:
        raise Refused(
            f"{_stage_label(stage)}日期{on}早于上一阶段{_stage_label(previous)}的日期{previous_date} / "
            f"the date of {stage} ({on}) is before the date of {previous} ({previous_date})"
        )
    if not automatic:
        for upload in uploads:
            check_upload(upload)
        for group in missing_evidence(stage, uploads):
            zh = "或".join(KIND_NAMES[k][0] for k in sorted(group))
            en = " or ".join(KIND_NAMES[k][1] for k in sorted(group))
            raise Refused(
                f"进入{_stage_label(stage)}须上传{zh}作为佐证 / moving to {stage} requires a {en} as evidence"
            )

    def store(stored):
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.stage != project.stage:
            raise Refused("项目阶段已被他人修改，请刷新 / the project's stage was changed meanwhile; reload")
        locked.stage = stage
        setattr(locked, f"actual_{stage}", on)
        locked._change_reason = "automatic" if automatic else "advance"
        locked.save()
        keep_files(locked, uploads, user, stored, stage=stage)
        StageChange.objects.create(
            project=locked, from_stage=previous, to_stage=stage, date=on, user=user, automatic=automatic
        )
        return locked

    advanced = atomic_with_files(store)
    project.refresh_from_db()
    return advanced


def correct_back(project: Project, stage: str, user, reason: str) -> Project:
    """A city administrator moves the project back to an earlier stage; the later actual dates are cleared
    and the act is recorded with its reason."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied("只有市级管理员可以回退项目阶段 / only a city administrator may move a project back")
    if stage not in STAGE_ORDER or STAGE_ORDER.index(stage) >= STAGE_ORDER.index(project.stage):
        raise Refused(
            f"回退的目标阶段必须早于当前阶段{_stage_label(project.stage)} / "
            f"a correction must go back to a stage before {project.stage}"
        )
    if not reason.strip():
        raise Refused("回退须说明原因 / a correction backwards needs a reason")
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


def mark_above_scale(enterprise_ids, year: int, revenue_by_enterprise: dict[int, float] | None = None) -> int:
    """Marks 上规 the at-capacity or commissioned projects of enterprises whose revenue in ``year`` reached
    20 million yuan, dated 31 December of that year (or today, if earlier). Returns how many moved."""
    from mujun.enterprises.models import EnterpriseYear

    qualifying = EnterpriseYear.objects.filter(
        enterprise_id__in=list(enterprise_ids), year=year, revenue__gte=ABOVE_SCALE_REVENUE
    ).values_list("enterprise_id", flat=True)
    on = min(date(year, 12, 31), date.today())
    projects = Project.objects.filter(
        enterprise_id__in=list(qualifying), stage__in=[Stage.COMMISSIONED, Stage.CAPACITY]
    )
    moved = 0
    for project in projects:
        # 上规 follows 达产; a commissioned project reaching the threshold has reached capacity in fact.
        if project.stage == Stage.COMMISSIONED:
            project = advance(project, Stage.CAPACITY, max(on, project.actual_commissioned), [], None, automatic=True)
        advance(project, Stage.ABOVE_SCALE, max(on, project.actual_capacity), [], None, automatic=True)
        moved += 1
    return moved


def submit_report(project: Project, month: date, invested_month: float, invested_to_date: float | None,
                  notes: str, uploads: list[Upload], user, report: MonthlyReport | None = None) -> MonthlyReport:
    """A county operator's monthly report (or the resubmission of one sent back)."""
    require_edit(user, project)
    month = month.replace(day=1)
    if invested_month is None or invested_month < 0:
        raise Refused("当月完成投资不能为负数 / the investment in the month cannot be negative")
    if invested_to_date is not None and invested_to_date < 0:
        raise Refused("累计完成投资不能为负数 / the investment to date cannot be negative")
    if month > date.today().replace(day=1):
        raise Refused(f"不能填报未来月份{month:%Y-%m} / month {month:%Y-%m} is in the future")
    taken = MonthlyReport.objects.filter(project=project, month=month)
    if report is not None:
        taken = taken.exclude(pk=report.pk)
        if report.status == MonthlyReport.Status.APPROVED:
            raise Refused("该月报已审核通过，不能修改 / this report was approved and can no longer be changed")
    if taken.exists():
        raise Refused(
            f"项目“{project}”{month:%Y年%m月}已填报月报 / project {project.code} already has a report for {month:%Y-%m}"
        )
    earlier = (
        MonthlyReport.objects.filter(project=project, month__lt=month).order_by("-month").values_list("invested_to_date", flat=True).first()
    )
    if invested_to_date is None:
        invested_to_date = (earlier or 0) + invested_month
    if earlier is not None and invested_to_date < earlier:
        raise Refused(
            f"累计完成投资{invested_to_date}小于上月累计{earlier} / the investment to date ({invested_to_date}) is less "
            f"than the previous report's ({earlier})"
        )
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
        raise PermissionDenied("只有市级管理员可以审核月报 / only a city administrator may review reports")
    if not approve and not note.strip():
        raise Refused("退回月报须说明原因 / sending a report back needs a note")
    report.status = MonthlyReport.Status.APPROVED if approve else MonthlyReport.Status.RETURNED
    report.review_note = note
    report.reviewed_by = user
    report.save()
    return report


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
