"""Panels that apps register for a host page (core.extensions): a registered one appears on its host
only, and one with nothing to show is left out."""

import pytest

from mujun.core.extensions import HOME, Panel, registry


@pytest.fixture
def probe_template(settings, tmp_path):
    (tmp_path / "probe.html").write_text('<p id="probe">{{ probe }} for {{ user.username }}</p>', encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return "probe.html"


def add_panel(monkeypatch, host: str, panel: type[Panel]) -> None:
    monkeypatch.setitem(registry, host, [*registry.get(host, []), panel])


def test_a_panel_registered_for_the_home_page_appears_there(monkeypatch, probe_template, viewer, client_as):
    class Probe(Panel):
        template_name = probe_template

        def get_context(self):
            return {"probe": "registered"}

    add_panel(monkeypatch, HOME, Probe)
    html = client_as(viewer).get("/").content.decode()
    assert '<p id="probe">registered for viewer</p>' in html


def test_a_panel_registered_elsewhere_or_with_nothing_to_show_does_not(
    monkeypatch, probe_template, viewer, client_as
):
    class Elsewhere(Panel):
        template_name = probe_template

    class Empty(Panel):
        template_name = probe_template

        def get_context(self):
            return None

    add_panel(monkeypatch, "core.user", Elsewhere)
    add_panel(monkeypatch, HOME, Empty)
    html = client_as(viewer).get("/").content.decode()
    assert 'id="probe"' not in html


def test_cards_sharing_their_figures_compute_them_once_per_request(monkeypatch, probe_template, viewer, client_as):
    computed = []

    class Figures(Panel):
        template_name = probe_template

        def get_context(self):
            computed.append(1)
            return {"probe": f"figures {len(computed)}"}

    class FirstCard(Figures):
        pass

    class SecondCard(Figures):
        order = 101

    add_panel(monkeypatch, HOME, FirstCard)
    add_panel(monkeypatch, HOME, SecondCard)
    client = client_as(viewer)
    html = client.get("/").content.decode()
    assert html.count('<p id="probe">figures 1 for viewer</p>') == 2 and len(computed) == 1
    assert '<p id="probe">figures 2 for viewer</p>' in client.get("/").content.decode()  # the next request anew
