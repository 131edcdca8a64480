"""A refused page says why, in the user's language, on the platform's page (not a bare "403 Forbidden")."""


def test_an_operator_opening_another_countys_edit_page_is_told_why(
    regions, operator_wuxing, client_as, make_enterprise
):
    enterprise = make_enterprise(1, region=regions.lianshi)  # 南浔区

    response = client_as(operator_wuxing).get(f"/enterprises/{enterprise.pk}/edit/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "无权修改此区域的数据" in body
    assert "you may not edit" not in body.lower()  # one language, not both
    assert "<nav" in body  # the platform's page, with its menu
