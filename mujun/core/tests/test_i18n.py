"""The interface reads in Simplified Chinese by default and in English once the user switches language."""

import ast
import gettext
import io
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse

APPS_DIR = Path(__file__).resolve().parents[2]
CATALOGUE_APPS = sorted(path.parent.name for path in APPS_DIR.glob("*/locale"))


@pytest.fixture
def admin_client_(client_as, city_admin, make_enterprise):
    make_enterprise(1, name="湖州丝绸有限公司", above_scale=True, land_mu=50)
    return client_as(city_admin)


def test_pages_are_chinese_by_default(admin_client_):
    home = admin_client_.get(reverse("home")).content.decode()
    assert f'href="{reverse("enterprises:enterprise_list")}">企业</a>' in home  # the menu
    assert "亩均效益综合评价平台" in home and "退出登录" in home and "市级管理员" in home
    assert "Enterprises" not in home and "Log out" not in home

    listing = admin_client_.get(reverse("enterprises:enterprise_list")).content.decode()
    for label in ["统一社会信用代码", "企业名称", "区域", "规上企业", "用地面积(亩)", "筛选", "新增", "导出Excel"]:
        assert label in listing, label
    assert "Unified social credit code" not in listing


def test_switching_to_english(admin_client_):
    response = admin_client_.post("/i18n/setlang/", {"language": "en", "next": reverse("home")})
    assert response.status_code == 302

    home = admin_client_.get(reverse("home")).content.decode()
    assert f'href="{reverse("enterprises:enterprise_list")}">Enterprises</a>' in home
    assert "Log out" in home and "City administrator" in home and "退出登录" not in home

    listing = admin_client_.get(reverse("enterprises:enterprise_list")).content.decode()
    assert "Unified social credit code" in listing and "Filter" in listing
    assert "统一社会信用代码" not in listing

    admin_client_.post("/i18n/setlang/", {"language": "zh-hans", "next": reverse("home")})
    assert "退出登录" in admin_client_.get(reverse("home")).content.decode()


def test_browser_language_does_not_switch_to_english(admin_client_):
    """An en-US browser still gets Chinese; only the language menu's cookie gives English."""
    home = admin_client_.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "退出登录" in home and "Log out" not in home

    admin_client_.cookies["django_language"] = "en"
    home = admin_client_.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "Log out" in home and "退出登录" not in home


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/enterprises/export/", "企业.xlsx"), ("/land/export/", "地块.xlsx"), ("/projects/export/", "项目.xlsx"),
        ("/land/export.geojson", "地块.geojson"), ("/projects/oc4ids/", "项目-OC4IDS.json"),
    ],
)  # fmt: skip
def test_downloads_are_named_in_chinese(admin_client_, url, name):
    """A file an official forwards carries a Chinese name, and so do its sheets (not Excel's "Sheet1")."""
    response = admin_client_.get(url)
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    if name.endswith(".xlsx"):
        sheets = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).sheetnames
        # The first sheet is the records; a second (an enterprise's years) is named in Chinese too.
        assert sheets[0] == name.removesuffix(".xlsx") and not any(sheet.startswith("Sheet") for sheet in sheets)


def po_entries(path: Path) -> dict:
    """msgid (or (context, msgid); a plural by its singular) -> its msgstrs, flags and plural msgid, for the
    live entries of a .po file (obsolete ones are comments)."""
    entries, current, key, fuzzy = {}, {}, None, False

    def finish():
        if current.get("msgid"):
            msgid = current["msgid"]
            name = (current["msgctxt"], msgid) if "msgctxt" in current else msgid
            entries[name] = {"strs": current.get("msgstr", []), "fuzzy": fuzzy, "plural": current.get("msgid_plural")}

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            finish()
            current, key, fuzzy = {}, None, False
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                current["msgstr"][-1] += value
            else:
                current[key] += value
        else:
            word, _, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if word.startswith("msgstr"):
                key = "msgstr"
                current.setdefault("msgstr", []).append(value)
            else:  # msgid, msgctxt, msgid_plural
                key = word
                current[word] = value
    return entries


@pytest.mark.parametrize("app", CATALOGUE_APPS)
def test_catalogues_are_complete_and_compiled(app):
    """Every string of the app's catalogue has a Chinese translation, none is fuzzy, and the compiled .mo
    (what runs; fresh machines have no gettext to compile it) says the same as the .po."""
    folder = APPS_DIR / app / "locale" / "zh_Hans" / "LC_MESSAGES"
    entries = po_entries(folder / "django.po")
    assert entries
    assert not [name for name, entry in entries.items() if not all(entry["strs"])], "untranslated"
    assert not [name for name, entry in entries.items() if entry["fuzzy"]], "fuzzy"

    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for name, entry in entries.items():
        if isinstance(name, tuple):
            assert compiled.pgettext(*name) == entry["strs"][0], name
        elif entry["plural"]:
            assert compiled.ngettext(name, entry["plural"], 2) == entry["strs"][0], name
        else:
            assert compiled.gettext(name) == entry["strs"][0], name


def test_one_english_string_has_one_chinese_translation_across_the_apps():
    """Django merges the apps' catalogues into one, the first app in INSTALLED_APPS winning: a string two apps
    translate differently shows one app's word on the other's pages (a land case "Closed" read 已关闭, the
    data collection's word). The same meaning takes the same words; another meaning takes a context."""
    translations: dict = {}
    for app in CATALOGUE_APPS:
        for name, entry in po_entries(APPS_DIR / app / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").items():
            translations.setdefault(name, {}).setdefault(entry["strs"][0], []).append(app)
    assert {name: found for name, found in translations.items() if len(found) > 1} == {}
