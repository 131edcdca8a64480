"""Projects as OC4IDS 0.9 project objects (Open Contracting for Infrastructure Data Standard).

OC4IDS ends at completion; the stages after it (投产 commissioned, 达产 at capacity, 上规 above designated
size) and the planned dates of every stage travel in the extension field ``mujunLifeCycle``; the project's
level, field and batch in ``mujunPortfolio``. The schema is the local copy in ``schema/`` (see its README).
"""

import json
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from mujun.engine.projects import DATED_STAGES

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "project-schema.json"
ID_PREFIX = "mujun-project-"
STATUS = {
    "planned": "identification",
    "signed": "preparation",
    "landed": "preparation",
    "construction": "implementation",
    "completed": "completion",
    "commissioned": "completed",
    "capacity": "completed",
    "above_scale": "completed",
}
SECTORS = {"transport": ["transport"], "energy": ["energy"], "water": ["water"], "livelihood": ["socialHousing"]}
DOCUMENT_TYPES = {
    "signed": "contractSigned", "landed": "landAndSettlementImpact", "construction": "physicalProgressReport",
    "completed": "completionCertificate", "commissioned": "physicalProgressReport", "capacity": "physicalProgressReport",
    "above_scale": "physicalProgressReport",
}  # fmt: skip
TEN_THOUSAND = 10_000  # the platform keeps money in 万元


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _datetime(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=timezone.get_current_timezone())
    return value.isoformat()


def _drop_empty(value):
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def project_release(project, base_url: str) -> dict:
    """One project as an OC4IDS project object."""
    base_url = base_url.rstrip("/")
    parties, documents = [], []
    if project.enterprise is not None:
        parties.append(
            {
                "id": f"CN-USCC-{project.enterprise.uscc}",
                "name": project.enterprise.name,
                "identifier": {"scheme": "CN-USCC", "id": project.enterprise.uscc, "legalName": project.enterprise.name},
                "roles": ["projectSponsor"],
            }
        )
    for evidence in project.evidence.all():
        if evidence.report_id is not None:
            continue
        documents.append(
            {
                "id": str(evidence.pk),
                "documentType": DOCUMENT_TYPES.get(evidence.stage, "physicalProgressReport"),
                "title": evidence.original_name,
                "url": base_url + reverse("projects:evidence_file", args=[evidence.pk]),
                "datePublished": _datetime(evidence.uploaded_at),
            }
        )
    start = project.actual_construction or project.planned_construction
    end = project.actual_completed or project.planned_completed
    release = {
        "id": f"{ID_PREFIX}{project.code}",
        "updated": _datetime(timezone.now()),
        "title": project.name,
        "status": STATUS[project.stage],
        "type": "construction",
        "sector": SECTORS.get(project.field, ["industry"]),
        "additionalClassifications": [
            {"scheme": "GB/T 4754", "id": project.industry_code}
        ] if project.industry_code else [],  # fmt: skip
        "period": {"startDate": _datetime(start), "endDate": _datetime(end)},
        "locations": [
            {
                "id": "1",
                "description": project.region.name,
                "gazetteer": {"scheme": "CN-ADMIN", "identifiers": [project.region.code]},
            }
        ],
        "budget": {"amount": {"amount": project.total_investment * TEN_THOUSAND, "currency": "CNY"}},
        "parties": parties,
        "documents": documents,
        "completion": {"endDate": _datetime(project.actual_completed)} if project.actual_completed else None,
        "mujunLifeCycle": {
            "stage": project.stage,
            "stages": [
                {
                    "stage": stage,
                    "plannedDate": _datetime(getattr(project, f"planned_{stage}")),
                    "actualDate": _datetime(getattr(project, f"actual_{stage}")),
                }
                for stage in DATED_STAGES
            ],
        },
        "mujunPortfolio": {
            "level": project.level,
            "field": project.field,
            "batch": project.batch,
            "new": project.is_new,
            "fixedAssetInvestment": project.fixed_asset_investment,
            "foreignCapitalUsd": project.foreign_capital_usd * TEN_THOUSAND if project.foreign_capital_usd else None,
            "industrialChainTags": project.tags,
            "parcels": [parcel.code for parcel in project.parcels.all()],
        },
    }
    return _drop_empty(release)


def project_package(projects, base_url: str) -> dict:
    """The projects as an OC4IDS project package."""
    return {
        "uri": base_url.rstrip("/") + "/projects/oc4ids/",
        "publishedDate": _datetime(timezone.now()),
        "version": "0.9",
        "projects": [project_release(p, base_url) for p in projects],
    }
