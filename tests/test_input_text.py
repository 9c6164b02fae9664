"""Text that cannot be stored is refused with 400 naming the field, wherever it comes in (issue 7, item 8).

A lone UTF-16 surrogate ("\\ud800" in JSON, or the CESU-8 bytes ED A0 80) was a 500 on every JSON write
(the database drivers cannot encode it); invalid UTF-8 in query strings and form fields was stored as
U+FFFD without a word. These sweeps post each kind of bad text into every text field of every API
operation (read from the OpenAPI document, so a new endpoint is swept the day it is added), of every
form on every page a crawl of the site finds, and into headers; Open311 has its own sweep
(tests/open311/test_input_text.py), the import files theirs (tests/test_import_bounds.py).
"""
import html
import json
import re
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

from gongzhi.accounts.models import ApiToken, User
from gongzhi.api.urls import api as ninja_api
from gongzhi.appeals.services import appeal_submit
from gongzhi.core.text import malformed_message, nul_message

from textsweep import VARIANTS, answer, database_state, expected, multipart

pytestmark = pytest.mark.django_db


# ---- the JSON API: every text field of every operation in the OpenAPI document ----------------------------

OPENAPI = json.loads(json.dumps(ninja_api.get_openapi_schema(path_prefix="/api/v1/"), default=str))


def _resolve(schema):
    ref = schema.get("$ref")
    return OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _text_kind(schema):
    """"text", "list" (of text), "file" or None: what kind of text a field schema takes."""
    schema = _resolve(schema)
    if schema.get("type") == "string":
        return "file" if schema.get("format") == "binary" else "text"
    if schema.get("type") == "array" and _text_kind(schema.get("items", {})) == "text":
        return "list"
    kinds = {_text_kind(branch) for branch in schema.get("anyOf", [])} - {None}
    return min(kinds) if kinds else None  # "list" < "text": a list or a string is swept as a list


def api_text_fields():
    """{(method, path): [(where, name, kind)]} for every operation taking text."""
    out = {}
    for path, operations in OPENAPI["paths"].items():
        for method, op in operations.items():
            fields = [(p["in"], p["name"], kind) for p in op.get("parameters", [])
                      if (kind := _text_kind(p["schema"]))]
            for content_type, content in op.get("requestBody", {}).get("content", {}).items():
                where = "json" if content_type == "application/json" else "multipart"
                for name, prop in _resolve(content["schema"]).get("properties", {}).items():
                    if kind := _text_kind(prop):
                        fields.append((where, name, kind))
            if fields:
                out[(method.upper(), path)] = fields
    return out


API_FIELDS = api_text_fields()


def test_the_sweep_reaches_the_operations_of_the_issue():
    for op in [("POST", "/api/v1/auth/token"), ("POST", "/api/v1/appeals"), ("POST", "/api/v1/residents"),
               ("PATCH", "/api/v1/residents/{pk}"), ("PATCH", "/api/v1/households/{pk}"),
               ("POST", "/api/v1/appeals/{ref}/actions/{action}"), ("POST", "/api/v1/imports")]:
        assert op in API_FIELDS
    assert ("json", "note", "text") in API_FIELDS[("POST", "/api/v1/appeals/{ref}/actions/{action}")]
    assert ("multipart", "file", "file") in API_FIELDS[("POST", "/api/v1/imports")]


def _fill(path, **values):
    """The path with its parameters filled in: ids 1, the action "note", or the values given."""
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{%s}" % name, values.get(name, "note" if name == "action" else "1"))
    return path


def _api_request(client, headers, method, path, where, name, kind, variant):
    """Send `variant` in one field; None when that kind of text cannot travel there."""
    url = _fill(path)
    if where == "path":
        if not variant["nul"]:
            return None  # Django re-percent-encodes invalid UTF-8 in a path: it arrives as valid text
        return client.generic(method, _fill(path, **{name: "a%00b"}), **headers)
    if where == "query":
        return client.generic(method, f"{url}?{name}={variant['percent']}", **headers)
    if where == "header":
        # A WSGI server hands headers on as bytes read as latin-1, which is always storable text: only what
        # another server might pass (a lone surrogate, NUL) can be bad there.
        if variant["escape"] is None:
            return None
        value = "a" + json.loads(f'"{variant["escape"]}"')
        return client.generic(method, url, **headers, **{"HTTP_" + name.upper().replace("-", "_"): value})
    if where == "json":
        if variant["raw"] is None and variant["escape"] is None:
            return None
        value = b'"a' + (variant["raw"] or variant["escape"].encode()) + b'"'
        value = b"[%s]" % value if kind == "list" else value
        body = b'{"%s": %s}' % (name.encode(), value)
        return client.generic(method, url, body, content_type="application/json", **headers)
    if kind == "file":
        # Django drops a file part whose plain file name is not UTF-8 and strips NUL from file names; an
        # RFC 5987 name (filename*=UTF-8''…) is percent-decoded with U+FFFD for what does not decode.
        if variant["nul"]:
            return None
        filename = b"*=UTF-8''a%s.xlsx" % variant["percent"].encode()
        body, content_type = multipart([(name, b"x", filename)])
    else:
        raw = variant["raw"] if variant["raw"] is not None else b"\x00"
        body, content_type = multipart([(name, b"a" + raw, None)])
    return client.generic(method, url, body, content_type=content_type, **headers)


@pytest.mark.parametrize("method,path", sorted(API_FIELDS), ids=[f"{m} {p}" for m, p in sorted(API_FIELDS)])
def test_bad_text_in_every_api_field_is_refused_naming_it(cast, client, method, path):
    admin = User.objects.create_superuser("sweep_admin", password=cast.password)
    _, raw = ApiToken.issue(admin, 1)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = database_state()
    wrong = []
    for where, name, kind in API_FIELDS[(method, path)]:
        for label, variant in VARIANTS.items():
            r = _api_request(client, headers, method, path, where, name, kind, variant)
            if r is None:
                continue
            want = expected(name, variant["nul"])
            # Headers are checked before any view (InputTextMiddleware): 400 whatever is wrong with them.
            status = 422 if variant["nul"] and where != "header" else 400
            if answer(r, name) != (status, name, want["errors"][name]):
                wrong.append(f"{where} {name} ({label}): {r.status_code} {r.content[:300]}")
    assert wrong == []
    assert database_state() == before


def test_the_token_form_refuses_bad_text(cast, client):
    # Not in the OpenAPI document (include_in_schema=False), read by the same parser.
    for name in ("username", "password"):
        r = client.post("/api/v1/auth/token/form", f"{name}=%ED%A0%80&x=1",
                        content_type="application/x-www-form-urlencoded")
        assert (r.status_code, r.json()) == (400, expected(name, False))


def test_the_issue_requests_are_400_not_500(cast, client, api):
    """The requests of the issue, as sent: JSON escapes and CESU-8 bytes."""
    r = client.post("/api/v1/auth/token", '{"username":"\\ud800","password":"x"}', content_type="application/json")
    assert (r.status_code, r.json()) == (400, expected("username", False))
    r = client.post("/api/v1/auth/token", b'{"username":"\xed\xa0\x80","password":"x"}',
                    content_type="application/json")
    assert (r.status_code, r.json()) == (400, expected("username", False))
    r = client.post("/api/v1/residents", '{"household_id": %d, "name": "\\ud800"}' % cast.H1.pk,
                    content_type="application/json", **api._headers(cast.community_worker))
    assert (r.status_code, r.json()) == (400, expected("name", False))
    # A key is text too, and is named as it can be shown.
    r = client.post("/api/v1/tags", '{"code": "x", "name": "y", "\\ud800": 1}', content_type="application/json",
                    **api._headers(cast.street_admin))
    assert (r.status_code, r.json()) == (400, expected("?", False))


def test_good_text_still_goes_through(cast, api):
    r = api.post(cast.community_worker, "/api/v1/residents", {"household_id": cast.H1.pk, "name": "张𠀀伟"})
    assert r.status_code == 201, r.content  # a character beyond the BMP is a surrogate pair in JSON: fine
    assert api.get(cast.community_worker, "/api/v1/residents", q="张𠀀").json()["count"] == 1


def test_every_operation_with_parameters_documents_the_400():
    missing = [f"{m} {p}" for p, ops in OPENAPI["paths"].items() for m, op in ops.items()
               if op.get("parameters") and "400" not in op["responses"]]
    assert missing == []


# ---- headers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/accounts/login/"])
def test_a_header_that_cannot_be_stored_is_400(cast, client, path):
    # axes records the user agent of every login attempt: NUL would fail PostgreSQL's insert.
    # (gunicorn refuses NUL in headers itself; other servers need not.)
    before = database_state()
    r = client.post(path, {"username": "community_worker", "password": "wrong"}, HTTP_USER_AGENT="a\x00b")
    assert r.status_code == 400
    text = r.json()["detail"] if path.startswith("/api/") else html.unescape(r.content.decode())
    assert f"User-Agent: {nul_message()}" in text
    assert database_state() == before


def test_a_bearer_token_with_a_surrogate_is_400(cast, client):
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer \ud800")  # hashing it raised UnicodeEncodeError
    assert (r.status_code, r.json()) == (400, expected("Authorization", False))


# ---- pages: every form a crawl of the site finds, for each kind of user ---------------------------------------


class _Page(HTMLParser):
    """The links and forms of a page: forms as {method, action, multipart, fields: [(name, value)]}."""

    def __init__(self):
        super().__init__()
        self.links, self.forms, self._select, self._textarea = [], [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"method": (a.get("method") or "get").upper(), "action": a.get("action", ""),
                               "multipart": "multipart" in a.get("enctype", ""), "fields": []})
        elif not self.forms or not a.get("name"):
            return
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            self.forms[-1]["fields"].append((a["name"], "file" if kind == "file" else a.get("value", "")))
        elif tag == "select":
            self._select = [a["name"], None]
        elif tag == "option" and self._select is not None and self._select[1] is None:
            self._select[1] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.forms[-1]["fields"].append((a["name"], ""))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            self.forms[-1]["fields"].append((self._select[0], self._select[1] or ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


_NOT_CRAWLED = ("/admin/", "/static/", "/api/", "/open311/v2/", "/i18n/", "/accounts/logout/")
_DOWNLOADS = {"export", "import_template", "import_errors", "appeal_photo"}


def _plain_paths(patterns=None, prefix="/"):
    """Every URL without parameters in the URL configuration: pages no link leads to are crawled too."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = str(entry.pattern)
        if not isinstance(entry.pattern, RoutePattern) or "<" in route:
            continue
        if isinstance(entry, URLResolver):
            yield from _plain_paths(entry.url_patterns, prefix + route)
        else:
            yield prefix + route


def crawl(client, start="/", per_view=2):
    """Forms of the pages reachable by links from `start` and from every URL without parameters (at most
    `per_view` pages of each view)."""
    seen, per_name, forms, queue = set(), {}, {}, [start, *_plain_paths()]
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or not path.startswith("/") or path.startswith(_NOT_CRAWLED):
            continue
        seen.add(url)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.url_name in _DOWNLOADS or per_name.get(match.view_name, 0) >= per_view:
            continue
        per_name[match.view_name] = per_name.get(match.view_name, 0) + 1
        r = client.get(url)
        if r.status_code in (301, 302):
            queue.append(urljoin(url, r["Location"]))
            continue
        if r.status_code != 200 or not r["Content-Type"].startswith("text/html"):
            continue
        page = _Page()
        page.feed(r.content.decode())
        queue += [urljoin(url, href) for href in page.links]
        for form in page.forms:  # one of each kind: the same view with the same fields
            action = urljoin(url, form["action"] or url)
            try:
                target = resolve(urlsplit(action).path).view_name
            except Resolver404:
                target = urlsplit(action).path
            names = tuple(sorted({n for n, _v in form["fields"]}))
            forms.setdefault((form["method"], target, names), {**form, "action": action})
    return list(forms.values())


def _submit(client, form, name, variant):
    fields = form["fields"]
    if form["multipart"]:
        raw = variant["raw"] if variant["raw"] is not None else b"\x00"
        parts = []
        for n, v in fields:
            if v == "file":  # the text of a file field is its name (see _api_request)
                if n == name and variant["nul"]:
                    return None
                parts.append((n, b"", b"*=UTF-8''a%s.txt" % variant["percent"].encode() if n == name else b"x.txt"))
            else:
                parts.append((n, b"a" + raw if n == name else v.encode(), None))
        body, content_type = multipart(parts)
        return client.generic("POST", form["action"], body, content_type=content_type)
    encoded = "&".join(f"{quote(n)}={variant['percent'] if n == name else quote(v)}" for n, v in fields)
    if form["method"] == "GET":
        return client.get(f"{urlsplit(form['action']).path}?{encoded}")
    return client.generic("POST", form["action"], encoded, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def site(grid):
    """The appeals grid with an appeal in work, so that its pages (and their action forms) exist."""
    appeal_submit(user=grid.resident1, category=grid.lift, description="3栋电梯停在8楼不动", compound=grid.K1.pk)
    grid.admin = User.objects.create_superuser("sweep_admin", password=grid.password)
    return grid


# Anonymous (the login form), a resident, a grid worker and property staff (their own action forms), and a
# superuser, who sees every other page.
@pytest.mark.parametrize("who", [None, "resident1", "grid_worker", "property1", "admin"])
def test_bad_text_in_every_field_of_every_form_is_refused_naming_it(site, client, who):
    if who is not None:
        client.force_login(getattr(site, who))
    forms = crawl(client, "/" if who else "/accounts/login/")
    assert forms, "the crawl found no form"
    before = database_state()
    wrong = []
    for form in forms:
        for name in dict(form["fields"]):
            for label, variant in VARIANTS.items():
                r = _submit(client, form, name, variant)
                if r is None:
                    continue
                message = nul_message() if variant["nul"] else malformed_message()
                shown = html.unescape(r.content.decode())
                if r.status_code != 400 or f"{name}: {message}" not in shown:
                    wrong.append(f"{form['method']} {form['action']} {name} ({label}): {r.status_code}")
    assert wrong == []
    assert database_state() == before


def test_the_crawl_finds_the_forms_that_take_text(site, client):
    client.force_login(site.admin)
    actions = {(f["method"], urlsplit(f["action"]).path) for f in crawl(client)}
    for expected_form in [("POST", "/appeals/new/"), ("GET", "/people/search/"), ("POST", "/people/tags/"),
                          ("POST", f"/people/household/{site.H1.pk}/edit/"), ("POST", "/appeals/categories/"),
                          ("POST", "/people/import/"), ("POST", "/open311/keys/")]:
        assert expected_form in actions


def test_a_page_form_with_invalid_utf8_saves_nothing(site, client):
    """The appeal form, as a browser that sent Latin-1 would post it: was saved with U+FFFD in the text."""
    from gongzhi.appeals.models import Appeal

    client.force_login(site.resident1)
    before = Appeal.objects.count()
    r = client.post("/appeals/new/", f"category={site.lift.pk}&description=%B5%E7%CC%DD%BB%B5%C1%CB&place=compound"
                    f"&compound={site.K1.pk}", content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400
    assert f"description: {malformed_message()}" in html.unescape(r.content.decode())
    assert Appeal.objects.count() == before
