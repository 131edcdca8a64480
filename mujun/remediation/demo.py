"""Demo low-efficiency firms for ``mujun demo``: the city's rules (Huzhou 2021) and 德清县's own (Dongyang's
industry-average rule added at 40 % of the division's average, a lower floor above designated size), the
list of every published year, the
counties' targets for this year, and remediation cases at every step (open, overdue, closed with land
released), for listed firms of the latest year, the worst graded first."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from mujun.core.history import bulk_create
from mujun.regions.models import Region
from mujun.remediation import services
from mujun.remediation.models import Listing, RemediationCase, RemediationProgress, RemediationTarget, Thresholds

DEQING = "330521"
# Share of the latest year's listed firms each county sets out to remediate this year, and the share of
# their land it expects back (Huzhou dealt with 619 of 1,925 firms in nine months).
FIRMS_SHARE, LAND_SHARE = 0.3, 0.1
CASES_SHARE = 0.15  # of the latest year's listed firms, the worst graded first
MIN_CASES = 3  # a small demo city still shows a list of cases
UNITS = ["经济和信息化局", "自然资源和规划局", "乡镇（街道）", "开发区管委会", "生态环境局"]
NOTES = ["已约谈企业负责人，明确整治方向", "企业提交提升改造方案", "完成设备更新，产值回升", "签订土地收回协议"]


def load(context) -> None:
    counties = {r.code: r for r in Region.objects.filter(level=Region.Level.COUNTY)}
    Thresholds.objects.create(region=None)
    if DEQING in counties:
        Thresholds.objects.create(
            region=counties[DEQING], above_scale_tax_per_mu=5.0, industry_enabled=True, industry_share=0.4
        )
    for year in context.years:
        listed = services.compute_listing(year)
        context.log(f"low-efficiency firms {year}: {listed}")
    years = services.listed_years()
    if not years:
        return
    today = timezone.localdate()
    latest = years[0]
    for row in services.overview(latest):
        RemediationTarget.objects.create(
            region=row["county"], year=today.year, firms_target=round(row["listed"] * FIRMS_SHARE),
            land_target_mu=round(sum(Listing.objects.filter(year=latest, region_id__in=row["county"].descendant_ids())
                                     .values_list("land_mu", flat=True)) * LAND_SHARE, -1),
        )  # fmt: skip
    _cases(np.random.default_rng(context.seed + 13), latest, today, context.admin)


def _cases(rng: np.random.Generator, year: int, today, admin) -> None:
    """About one in seven of the year's listed firms, D before C before the rest, get a case: about a third closed
    this year (land released where the measure frees land), a third open and a third overdue."""
    listings = sorted(
        Listing.objects.filter(year=year).select_related("enterprise__region"),
        key=lambda listing: ({"D": 0, "C": 1}.get(listing.grade, 2), listing.tax_per_mu or 0, listing.pk),
    )
    picked = listings[: max(MIN_CASES, round(len(listings) * CASES_SHARE))]
    measures = list(RemediationCase.Measure)
    start_of_year = today.replace(month=1, day=1)
    notes = []
    for index, listing in enumerate(picked):
        step = index % 3  # 0 closed, 1 open, 2 overdue
        opened = start_of_year + timedelta(days=int(rng.integers(0, max(1, min(120, (today - start_of_year).days)))))
        deadline = today - timedelta(days=int(rng.integers(5, 60))) if step == 2 else today + timedelta(days=int(rng.integers(30, 300)))
        measure = measures[int(rng.integers(len(measures)))]
        case = services.open_case(
            services.new_case(listing, measure=measure, responsible_unit=UNITS[int(rng.integers(len(UNITS)))],
                              opened_on=opened, deadline=max(deadline, opened)),
            admin,
        )  # fmt: skip
        notes.append(RemediationProgress(case=case, noted_on=min(opened + timedelta(days=7), today), note=NOTES[0], created_by=admin))
        if step == 0:
            closed_on = min(opened + timedelta(days=int(rng.integers(20, 120))), today)
            released = round(listing.land_mu * rng.uniform(0.3, 1.0), 2) if measure in RemediationCase.RELEASING else None
            notes.append(RemediationProgress(case=case, noted_on=closed_on, note=NOTES[3 if released else 2], created_by=admin))
            services.close_case(case, closed_on, released, admin)
    bulk_create(RemediationProgress, notes, user=admin)
