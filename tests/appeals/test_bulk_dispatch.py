"""The desk ticks appeals in its queue and sends them to their suggested handlers at once, one write each."""
import pytest

from gongzhi.appeals.models import Appeal, Channel, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(grid, submit, act):
    mine = [submit(description=f"{n}栋电梯停了") for n in (1, 2, 3)]  # lift in K1: the property company
    taken = act(grid.community_worker, submit(description="4栋电梯停了"), "dispatch", handler=grid.office.pk)
    elsewhere = submit(user=grid.street_admin, channel=Channel.HOTLINE, compound=grid.K3, description="东风花园电梯停了")
    return mine, taken, elsewhere


def test_from_the_queue_page(client, grid, queue):
    mine, taken, elsewhere = queue
    client.force_login(grid.community_worker)
    page = client.get("/appeals/", {"tab": "dispatch"}).content.decode()
    assert f'name="appeal" value="{mine[0].pk}"' in page and "所选诉求派给建议单位" in page
    r = client.post("/appeals/dispatch-suggested/", {"appeal": [a.pk for a in mine] + [taken.pk, elsewhere.pk]},
                    follow=True)
    body = r.content.decode()
    assert "已派单 3 件" in body
    assert f"{taken.number} 未派单" in body and "不存在" in body  # and the other community's: never named
    assert elsewhere.number not in body
    for a in mine:
        a.refresh_from_db()
        assert (a.status, a.handler) == (Status.DISPATCHED, grid.property_co)
    taken.refresh_from_db()
    elsewhere.refresh_from_db()
    assert taken.handler == grid.office and elsewhere.status == Status.SUBMITTED


def test_over_the_api(grid, api, queue):
    mine, taken, elsewhere = queue
    r = api.post(grid.community_worker, "/api/v1/appeals/dispatch-suggested",
                 {"appeals": [mine[0].pk, taken.pk, elsewhere.pk, mine[1].pk]})
    assert r.status_code == 200
    assert r.json()["dispatched"] == [mine[0].number, mine[1].number]
    assert [x["id"] for x in r.json()["refused"]] == [taken.pk, elsewhere.pk]
    assert api.post(grid.community_worker, "/api/v1/appeals/dispatch-suggested", {"appeals": []}).status_code == 400
    assert api.post(grid.resident1, "/api/v1/appeals/dispatch-suggested",
                    {"appeals": [mine[2].pk]}).status_code == 404
    assert Appeal.objects.get(pk=mine[2].pk).status == Status.SUBMITTED


def test_at_most_fifty_at_once_and_only_ids(grid, api, queue):
    mine, _taken, _elsewhere = queue
    r = api.post(grid.community_worker, "/api/v1/appeals/dispatch-suggested", {"appeals": list(range(1, 52))})
    assert r.status_code == 400 and r.json()["field"] == "appeals"
    assert Appeal.objects.filter(status=Status.DISPATCHED).count() == 1  # only the one dispatched before


def test_the_page_refuses_whom_may_not_dispatch(client, grid, queue):
    mine, _taken, _elsewhere = queue
    client.force_login(grid.property1)
    assert client.post("/appeals/dispatch-suggested/", {"appeal": [mine[0].pk]}).status_code == 404
    client.force_login(grid.community_worker)
    r = client.post("/appeals/dispatch-suggested/", {"appeal": ["x"]}, follow=True)
    assert "请选择要派单的诉求" in r.content.decode()
    assert Appeal.objects.get(pk=mine[0].pk).status == Status.SUBMITTED
