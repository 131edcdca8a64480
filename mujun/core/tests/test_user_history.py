"""Users' roles and regions are audited: who gave whom which role and region, and when (issue 8, item 11)."""

from django.urls import reverse

from mujun.core.models import User


def test_changing_a_users_role_and_region_in_the_admin_is_recorded_with_who_did_it(
    client_as, regions, operator_wuxing
):
    superuser = User.objects.create_superuser("root", password="pw-root", role="city_admin", region=regions.city)
    client = client_as(superuser)
    joined = operator_wuxing.date_joined
    data = {
        "username": operator_wuxing.username, "role": "viewer", "region": regions.nanxun.pk, "is_active": "on",
        "date_joined_0": joined.strftime("%Y-%m-%d"), "date_joined_1": joined.strftime("%H:%M:%S"),
    }  # fmt: skip
    response = client.post(reverse("admin:core_user_change", args=[operator_wuxing.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    changed, created = operator_wuxing.history.all()
    assert (created.role, created.region, created.history_type) == ("county_operator", regions.wuxing, "+")
    assert (changed.role, changed.region, changed.history_user) == ("viewer", regions.nanxun, superuser)
    assert {"role", "region"} <= {c.field for c in changed.diff_against(created).changes}
    page = client.get(reverse("admin:core_user_history", args=[operator_wuxing.pk])).content.decode()
    assert "root" in page and "吴兴区" in page and "南浔区" in page


def test_logging_in_adds_no_history_and_no_password_hash_is_kept(client, regions, operator_wuxing):
    assert client.post(reverse("login"), {"username": "operator_wuxing", "password": "pw-operator_wuxing"}).status_code == 302
    assert operator_wuxing.history.count() == 1  # its creation only
    assert not hasattr(operator_wuxing.history.get(), "password")
