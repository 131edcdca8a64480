"""The menu: made once per request, however many templates the page renders with it (a list and its table)."""

from mujun.core import context_processors


def test_the_menu_is_made_once_per_request_and_marks_the_current_section(monkeypatch, viewer, client_as):
    made = []
    reverse = context_processors.reverse
    monkeypatch.setattr(context_processors, "reverse", lambda name: made.append(name) or reverse(name))
    client = client_as(viewer)
    response = client.get("/enterprises/")
    assert response.status_code == 200 and made and len(made) == len(set(made))
    assert [item["url"] for item in response.context["menu"] if item["active"]] == ["/enterprises/"]
    made.clear()
    client.get("/")
    assert made  # the next request makes its own
