"""Reads the pages and the API share (appeals.selectors): the rates with their totals, and which routing rules an
admin sees. Each is one selector, so a page and the API cannot disagree."""
import re

import pytest

from conftest import _user  # tests/conftest.py
from gongzhi.accounts.models import Role
from gongzhi.appeals.models import RoutingRule
from gongzhi.grid.models import Community, Compound, Subdistrict

pytestmark = pytest.mark.django_db


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_the_api_gives_the_rates_totals_the_page_shows(client, grid, api, submit, act):
    a = submit()
    for step, user, kw in (("dispatch", grid.community_worker, {"handler": grid.property_co.pk}),
                           ("take", grid.property1, {}), ("resolve", grid.property1, {"note": "修好了"}),
                           ("verify", grid.resident1, {}), ("rate", grid.resident1, {"rating": "unsatisfied"})):
        a = act(user, a, step, **kw)
    act(grid.community_worker, submit(), "reject", note="重复提交")
    submit()
    body = api.get(grid.community_worker, "/api/v1/appeal-rates", group_by="handler").json()
    totals = body["totals"]
    assert totals["total"] == 3 == sum(r["total"] for r in body["rows"])
    # Resolved but rated unsatisfied: 0 of the 2 accepted; responded: 1 of 1 dispatched; satisfied: 0 of 1 rated.
    assert totals["resolution_rate"] == {"numerator": 0, "denominator": 2, "rate": 0.0}
    assert totals["response_rate"] == {"numerator": 1, "denominator": 1, "rate": 1.0}
    assert totals["satisfaction_rate"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    shown = re.sub(r"\s+", " ", page(client, grid.community_worker, "/appeals/rates/", group="handler").content.decode())
    line = re.search(r'<tr class="totals">(.*?)</tr>', shown).group(1)
    assert re.search(rf'data-label="诉求数">{totals["total"]}</td>', line)
    for rate, key in (("response", "response_rate"), ("resolution", "resolution_rate"),
                      ("satisfaction", "satisfaction_rate")):
        fraction = f'{totals[key]["numerator"]}/{totals[key]["denominator"]}'
        assert re.search(rf'data-rate="{rate}"><span><b>[^<]*</b><small>{fraction}</small>', line), rate
    # Another reader's totals count only what they may read.
    other = api.get(grid.property1, "/api/v1/appeal-rates").json()["totals"]
    assert other["total"] == sum(r["total"] for r in api.get(grid.property1, "/api/v1/appeal-rates").json()["rows"])


@pytest.fixture
def rules(grid):
    """Rules anywhere, at the cast's community and compound, and in another sub-district with its own admin."""
    S2 = Subdistrict.objects.create(code="S2", name="东城街道")
    C9 = Community.objects.create(subdistrict=S2, code="C9", name="河西社区")
    K9 = Compound.objects.create(community=C9, code="K9", name="河西花园")
    grid.admin2 = _user("street_admin2", Role.SUBDISTRICT_ADMIN, S2)
    made = {}
    for name, place in (("任何地方的规则", {}), ("新城社区的规则", {"community": grid.C}),
                        ("一期小区的规则", {"compound": grid.K1}), ("河西社区的规则", {"community": C9}),
                        ("河西花园的规则", {"compound": K9})):
        made[name] = RoutingRule.objects.create(name=name, handler_kind="property_company", **place)
    return made


def test_an_admin_gets_only_the_routing_rules_of_their_places_from_the_api_as_on_the_page(client, grid, api, rules):
    listed = {u: [r["name"] for r in api.get(u, "/api/v1/routing-rules").json()] for u in (grid.street_admin, grid.admin2)}
    assert set(listed[grid.street_admin]) == {"任何地方的规则", "新城社区的规则", "一期小区的规则"}
    assert set(listed[grid.admin2]) == {"任何地方的规则", "河西社区的规则", "河西花园的规则"}
    for user in (grid.street_admin, grid.admin2):
        body = page(client, user, "/appeals/routing/").content.decode()
        assert [n for n in rules if n in body] == [n for n in rules if n in listed[user]], user.username
        for name, rule in rules.items():
            on_page = page(client, user, f"/appeals/routing/{rule.pk}/").status_code
            assert (on_page == 200) == (name in listed[user]), (user.username, name)
            if name not in listed[user]:
                assert on_page == 404
                r = api_put(user, f"/api/v1/routing-rules/{rule.pk}", {"name": "改名", "handler_kind": "property_company"})
                assert r.status_code == 404, (user.username, name)
                assert api.delete(user, f"/api/v1/routing-rules/{rule.pk}").status_code == 404
    assert RoutingRule.objects.filter(name__in=rules).count() == len(rules), "nothing out of scope changed"


def api_put(user, path, data):
    from django.test import Client

    from gongzhi.accounts.models import ApiToken

    _, raw = ApiToken.issue(user, 1)
    return Client().put(path, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
