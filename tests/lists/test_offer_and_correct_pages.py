"""The pages that offer a resource and correct a ledger line: the same services as the API, under the policy."""
import pytest

from gongzhi.core.models import AuditEntry
from gongzhi.lists import services
from gongzhi.lists.models import LedgerEntry, Resource
from gongzhi.lists.selectors import hours_of

from .conftest import TODAY


def test_a_unit_offers_a_resource_from_the_page(lists, client):
    c = lists
    client.force_login(c.unit1)
    page = client.get("/lists/resources/")
    assert page.status_code == 200 and 'name="provider_kind"' in page.content.decode()
    r = client.post("/lists/resources/", {"title": "电工维修服务", "kind": "skill", "category": "repair",
                                          "provider_kind": "unit", "compound": c.K1.pk, "capacity": "20",
                                          "organisation": c.unit.pk, "available_from": TODAY.isoformat()})
    assert r.status_code == 302
    res = Resource.objects.get()
    assert (res.organisation, res.offered_by, res.capacity, res.topic) == (c.unit, None, 20, "repair")
    assert AuditEntry.objects.filter(detail="offer", object_id=str(res.pk)).exists()
    assert "电工维修服务" in client.get("/lists/resources/").content.decode()


@pytest.mark.parametrize("field,value,message", [
    ("title", "", "请填写名称"),
    ("capacity", "-3", "可服务人次应在1到10000之间"),
    ("available_to", "2000-01-01", "结束日期不能早于开始日期"),
])
def test_bad_offers_are_shown_and_nothing_is_written(lists, client, field, value, message):
    c = lists
    client.force_login(c.member1)
    data = {"title": "义剪", "kind": "skill", "category": "elderly", "provider_kind": "member",
            "compound": c.K1.pk, "capacity": "5", "available_from": TODAY.isoformat(), field: value}
    r = client.post("/lists/resources/", data)
    assert r.status_code == 400 and message in r.content.decode()
    assert not Resource.objects.exists()


def test_residents_have_no_resources_page(lists, client):
    client.force_login(lists.resident1)
    assert client.get("/lists/resources/").status_code == 404


def test_the_desk_corrects_a_ledger_line_from_the_page(lists, published, client):
    c = lists
    project = published()
    services.project_take(user=c.member1, project=project)
    s = services.service_record(user=c.member1, project=project, served_on=TODAY, hours="3")
    services.service_confirm(user=c.community_worker, service=s)
    line = LedgerEntry.objects.get()
    client.force_login(c.member1)
    assert client.get("/lists/ledger/").status_code == 404
    assert client.post("/lists/ledger/", {"entry": line.pk, "reason": "自己冲正"}).status_code == 404
    client.force_login(c.community_worker)
    page = client.get("/lists/ledger/").content.decode()
    assert f'data-entry="{line.pk}"' in page and "冲正原因" in page
    r = client.post("/lists/ledger/", {"entry": line.pk, "reason": ""}, follow=True)
    assert "请填写冲正原因" in r.content.decode() and LedgerEntry.objects.count() == 1
    r = client.post("/lists/ledger/", {"entry": line.pk, "reason": "服务日期记错"}, follow=True)
    assert "已冲正该台账记录" in r.content.decode()
    assert hours_of(person=c.member1)[TODAY.year][0] == 0
    r = client.post("/lists/ledger/", {"entry": line.pk, "reason": "再来一次"}, follow=True)
    assert "该台账记录已冲正过" in r.content.decode() and LedgerEntry.objects.count() == 2
    r = client.post("/lists/ledger/", {"entry": 999999, "reason": "没有这条"}, follow=True)
    assert "没有找到要冲正的台账记录" in r.content.decode()
