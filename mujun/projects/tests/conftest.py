import io
from datetime import date

import pytest
from PIL import Image


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def project(regions, make_enterprise):
    from mujun.projects.models import Project

    enterprise = make_enterprise(1, name="湖州新材料有限公司")
    return Project.objects.create(
        code="HZ2024-001", name="年产10万吨新材料项目", enterprise=enterprise, region=regions.zhili,
        total_investment=50_000, planned_signed=date(2024, 1, 10), planned_landed=date(2024, 3, 1),
        planned_construction=date(2024, 4, 20),
    )  # fmt: skip


@pytest.fixture
def files():
    from mujun.projects.services import Upload

    def make(*kinds):
        return [
            Upload("site.png", png_bytes(), "photo") if kind == "photo" else Upload("agreement.pdf", PDF, "document")
            for kind in kinds
        ]

    return make
