"""The English catalogue: complete, compiled, and used by the pages and the language switch.

Pure Python: the .po is read by the small parser below and the .mo by the standard library,
so these tests need no gettext tools. Run bin/update-translations after adding strings.
"""
import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.LOCALE_PATHS[0])
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Placeholders a translation must keep: %(name)s / %s / %d / %.1f, and {name} for brace-format strings.
PERCENT = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdif]")
BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

# Translations that must keep some Chinese: values of the import file format, which stays in Chinese.
CHINESE_ALLOWED = {
    "楼栋编码；小区中没有的楼栋会自动新建（名称为“编码+栋”）",
    "（新户默认业主自住）",
    "（新居民默认其他）",
    "标签名称或编码，用、或逗号分隔；填“无”表示清除全部标签",
}


def parse_po(path):
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr (str, or {index: str}), flags.

    Obsolete entries (#~) are skipped: gettext tools keep them for reference but never compile them.
    """
    entries, cur, field = [], None, None

    def flush():
        if cur is not None and cur.get("msgid") is not None:
            entries.append(cur)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            continue
        if not line:
            flush()
            cur, field = None, None
            continue
        if cur is None:
            cur = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": None, "flags": set()}
        if line.startswith("#,"):
            cur["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
        if m:
            keyword, index, value = m.group(1), m.group(2), ast.literal_eval(m.group(3))
            if keyword == "msgstr" and index is not None:
                if not isinstance(cur["msgstr"], dict):
                    cur["msgstr"] = {}
                cur["msgstr"][int(index)] = value
                field = ("msgstr", int(index))
            else:
                cur[keyword] = value
                field = (keyword, None)
        elif line.startswith('"') and field is not None:
            keyword, index = field
            if index is None:
                cur[keyword] += ast.literal_eval(line)
            else:
                cur["msgstr"][index] += ast.literal_eval(line)
        else:
            raise ValueError(f"{path}: cannot parse line {raw!r}")
    flush()
    return entries


@pytest.fixture(scope="module")
def entries():
    assert PO.exists(), f"{PO} is missing: run bin/update-translations"
    return parse_po(PO)


def messages(entries):
    return [e for e in entries if e["msgid"] != ""]


def label(e):
    return f"{e['msgctxt']}|{e['msgid']}" if e["msgctxt"] else e["msgid"]


def strings(e):
    return list(e["msgstr"].values()) if isinstance(e["msgstr"], dict) else [e["msgstr"]]


# ---- (a) complete ------------------------------------------------------------------------------


def test_catalogue_has_messages(entries):
    assert len(messages(entries)) > 500


def test_no_untranslated_entries(entries):
    untranslated = [label(e) for e in messages(entries) if not all(strings(e))]
    assert untranslated == [], f"{len(untranslated)} untranslated: {untranslated[:20]}"


def test_no_fuzzy_entries(entries):
    fuzzy = [label(e) or "(header)" for e in entries if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"fuzzy entries: {fuzzy[:20]}"


def test_plural_entries_have_both_forms(entries):
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: en" in header["msgstr"] and "nplurals=2; plural=(n != 1);" in header["msgstr"]
    for e in messages(entries):
        if e["msgid_plural"] is not None:
            assert isinstance(e["msgstr"], dict) and sorted(e["msgstr"]) == [0, 1], label(e)


def test_placeholders_are_kept(entries):
    for e in messages(entries):
        for i, text in enumerate(strings(e)):
            source = e["msgid_plural"] if (e["msgid_plural"] and i > 0) else e["msgid"]
            if "python-format" in e["flags"]:
                assert sorted(PERCENT.findall(text)) == sorted(PERCENT.findall(source)), label(e)
            if "python-brace-format" in e["flags"]:
                assert sorted(BRACE.findall(text)) == sorted(BRACE.findall(source)), label(e)


def test_translations_are_english(entries):
    """No Chinese copied into a translation, except the import file's own (Chinese) values."""
    chinese = [label(e) for e in messages(entries)
               if any(HAN.search(s) for s in strings(e)) and e["msgid"] not in CHINESE_ALLOWED]
    assert chinese == []


# ---- (b) compiled -------------------------------------------------------------------------------


def test_mo_matches_po(entries):
    assert MO.exists(), f"{MO} is missing: run bin/update-translations"
    with MO.open("rb") as f:
        mo = gettext.GNUTranslations(f)
    expected = {}
    for e in messages(entries):
        key = f"{e['msgctxt']}\x04{e['msgid']}" if e["msgctxt"] else e["msgid"]
        if isinstance(e["msgstr"], dict):
            for i, text in e["msgstr"].items():
                expected[(key, i)] = text
        else:
            expected[key] = e["msgstr"]
    catalog = {k: v for k, v in mo._catalog.items() if k != ""}
    stale = sorted(str(k) for k in expected if catalog.get(k) != expected[k])
    extra = sorted(str(k) for k in catalog if k not in expected)
    assert not stale and not extra, (
        f"django.mo is out of date with django.po (run bin/update-translations): "
        f"{len(stale)} differ or missing, e.g. {stale[:5]}; {len(extra)} not in the .po, e.g. {extra[:5]}")


def test_mo_is_what_django_uses():
    with translation.override("en"):
        assert translation.gettext("登录") == "Log in"
        assert translation.pgettext("appeal action", "挂起") == "Put on hold"
        assert translation.ngettext("找到 %(n)s 位居民", "找到 %(n)s 位居民", 1) == "Found %(n)s resident"
        assert translation.ngettext("找到 %(n)s 位居民", "找到 %(n)s 位居民", 3) == "Found %(n)s residents"
    with translation.override("zh-hans"):
        assert translation.gettext("登录") == "登录"


# ---- (c) pages ----------------------------------------------------------------------------------


def visible_text(response):
    body = response.content.decode()
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_login_page_in_english_with_the_cookie(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    r = client.get("/accounts/login/")
    assert r.status_code == 200
    text = visible_text(r)
    assert "Log in" in text and "Username or mobile number" in text
    assert '<html lang="en"' in r.content.decode()
    # The only Chinese left is the language switch's own name for Chinese.
    assert set(HAN.findall(text)) <= set("中文")


def test_login_page_in_chinese_by_default(client, db):
    r = client.get("/accounts/login/")
    text = visible_text(r)
    assert "登录" in text and "用户名或手机号" in text
    assert "Log in" not in text


def test_grid_and_household_pages_in_english(client, cast):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(cast.community_worker)
    tree = visible_text(client.get("/grid/"))
    assert "Grid" in tree and "Households" in tree and "Residents" in tree
    assert "网格" not in tree and "居民" not in tree
    page = visible_text(client.get(f"/people/household/{cast.H1.pk}/"))
    assert "Household members" in page and "Relation to head of household" in page and "Head of household" in page
    assert "家庭成员" not in page and "与户主关系" not in page
    # What Chinese is left is data: the address and the residents' names.
    leftover = page
    for data in ("宁江新城一期1栋101", "张伟", "李娜", "福兴街道", "新城社区", "宁江新城一期", "1栋", "中文"):
        leftover = leftover.replace(data, "")
    assert not HAN.search(leftover), HAN.findall(leftover)


# ---- (d) the language switch --------------------------------------------------------------------


def test_language_switch(client, db):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Log in" in visible_text(client.get("/accounts/login/"))

    r = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    text = visible_text(client.get("/accounts/login/"))
    assert "登录" in text and "Log in" not in text
