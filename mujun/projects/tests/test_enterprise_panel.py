"""The enterprise page shows the enterprise's projects through the panel the projects app registers on it
(no import of the projects app by the enterprises app)."""

from mujun.projects.models import Project


def test_the_enterprise_page_lists_its_projects_and_its_grades_card(regions, viewer, client_as, make_enterprise):
    firm, other = make_enterprise(1), make_enterprise(2)
    Project.objects.create(code="P-1", name="年产十万套汽车零部件项目", enterprise=firm, region=regions.wuxing, total_investment=5000)
    Project.objects.create(code="P-2", name="新型墙材生产线项目", enterprise=other, region=regions.wuxing, total_investment=800)

    html = client_as(viewer).get(firm.get_absolute_url()).content.decode()
    projects = html.split('id="enterprise-projects"')[1]
    assert "P-1" in projects and "P-2" not in projects
    assert 'id="enterprise-evaluation"' in html  # the evaluation's panel, registered on the same page
