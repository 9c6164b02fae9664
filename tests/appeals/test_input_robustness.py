"""Malformed posts and queries to the appeal pages: a form error or an empty answer, never a 500.

Found by posting junk (NUL, "¹", giant numbers, dates at the ends of time, 60,000 characters) to every
field of the appeal and people forms with the test client; these are the ones that failed.
"""
import pytest

from gongzhi.appeals.models import Appeal, AppealEvent

pytestmark = pytest.mark.django_db

SUPERSCRIPT_ONE = "¹"  # "¹".isdigit() is true; int("¹") raises ValueError


def test_submit_with_a_superscript_digit_as_category(grid, client):
    client.force_login(grid.resident1)
    before = Appeal.objects.count()
    r = client.post("/appeals/new/", {"category": SUPERSCRIPT_ONE, "description": "电梯坏了好几天了",
                                      "place": "compound", "compound": str(grid.K1.pk)})
    assert r.status_code == 400
    assert "请选择有效的诉求分类" in r.content.decode()
    assert Appeal.objects.count() == before


@pytest.mark.parametrize("field", ["category", "compound"])
def test_similar_with_a_superscript_digit(grid, submit, client, field):
    submit(user=grid.resident2, description="3栋电梯停在8楼不动")
    client.force_login(grid.resident1)
    r = client.get("/appeals/similar/", {"description": "电梯停在8楼不动", field: SUPERSCRIPT_ONE})
    assert r.status_code == 200


def test_dispatch_with_a_superscript_digit_as_handler(grid, submit, client):
    appeal = submit(user=grid.resident1)
    client.force_login(grid.community_worker)
    events = AppealEvent.objects.filter(appeal=appeal).count()
    r = client.post(f"/appeals/{appeal.pk}/act/", {"action": "dispatch", "version": str(appeal.version),
                                                   "handler": SUPERSCRIPT_ONE})
    assert r.status_code < 500
    appeal.refresh_from_db()
    assert appeal.handler_id is None and AppealEvent.objects.filter(appeal=appeal).count() == events


@pytest.mark.parametrize("params", [{"start": "9999-12-31"}, {"end": "9999-12-31"}, {"start": "0001-01-01"}])
def test_rates_page_with_dates_at_the_ends_of_time(grid, client, params):
    client.force_login(grid.street_admin)
    r = client.get("/appeals/rates/", params)  # end + 1 day overflowed: 500
    assert r.status_code == 200
    assert "日期超出范围" in r.content.decode()


def test_rates_page_still_takes_ordinary_dates(grid, client):
    client.force_login(grid.street_admin)
    r = client.get("/appeals/rates/", {"start": "2026-01-01", "end": "2026-03-31"})
    assert r.status_code == 200 and "日期超出范围" not in r.content.decode()
