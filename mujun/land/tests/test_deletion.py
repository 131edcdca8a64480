"""A parcel that a disposal case works on is not deleted: the API refuses with 409 naming it, never 500."""

from mujun.land.models import DisposalCase, Parcel


def test_deleting_a_parcel_with_a_disposal_case_is_refused(client_as, operator_wuxing, regions):
    parcel = Parcel.objects.create(code="IDLE", region=regions.zhili, area_mu=60)
    DisposalCase.objects.create(
        parcel=parcel, category="supplied_not_used", measure="urge_start", responsible_unit="织里镇",
        deadline="2025-12-31",
    )  # fmt: skip

    response = client_as(operator_wuxing).delete(f"/api/parcels/{parcel.pk}/")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("地块“")
    assert "1个处置任务" in response.json()["detail"]
    assert Parcel.objects.filter(pk=parcel.pk).exists() and DisposalCase.objects.count() == 1
