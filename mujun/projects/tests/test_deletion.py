"""A project that reported progress is not deleted: its monthly reports are official figures."""

from datetime import date

from mujun.projects.models import MonthlyReport, Project


def test_deleting_a_project_with_monthly_reports_is_refused(client_as, operator_wuxing, project):
    MonthlyReport.objects.create(project=project, month=date(2024, 5, 1), invested_month=100, invested_to_date=100)

    response = client_as(operator_wuxing).delete(f"/api/projects/{project.pk}/")

    assert response.status_code == 409
    assert "1个月报" in response.json()["detail"]
    assert Project.objects.filter(pk=project.pk).exists() and MonthlyReport.objects.count() == 1
