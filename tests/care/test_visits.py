"""Home visits (走访) to residents with care tags: whom a grid worker should visit and when, a visit recorded from
the page or the API, the community's coverage, and a visit that raises a referral."""
import datetime

import pytest
from django.core.exceptions import ValidationError

from gongzhi.care import selectors, services
from gongzhi.care.models import Case, CareVisit

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged(care):
    care.R1.tags.add(care.tag_elderly)     # compound 1: grid_worker1's
    care.R2.tags.add(care.tag_elderly)     # compound 2
    care.R1c.tags.add(care.tag_dibao)      # sensitive: only those who see sensitive tags
    return care


def test_grid_workers_see_whom_to_visit_in_their_grid_only(tagged):
    rows = selectors.to_visit(tagged.grid_worker, TODAY)
    assert [r["resident"] for r in rows] == [tagged.R1]
    assert rows[0]["due"] == TODAY and rows[0]["every"] == 7 and rows[0]["last"] is None
    assert {r["resident"] for r in selectors.to_visit(tagged.community_worker, TODAY)} == {tagged.R1, tagged.R1c, tagged.R2}
    assert selectors.to_visit(tagged.property1, TODAY) == []


def test_a_visit_moves_the_next_due_and_the_coverage(tagged):
    services.visit_record(user=tagged.grid_worker, resident=tagged.R1.pk, visited_on=TODAY - datetime.timedelta(days=2),
                          note="身体尚好")
    row = selectors.to_visit(tagged.grid_worker, TODAY)[0]
    assert row["due"] == TODAY + datetime.timedelta(days=5) and not row["overdue"]
    cov = {c["compound"]: c for c in selectors.coverage(tagged.community_worker, TODAY)}
    assert cov["宁江新城一期"]["tagged"] == 2 and cov["宁江新城一期"]["covered"] == 1 and cov["宁江新城一期"]["percent"] == 50
    assert cov["宁江新城二期"]["covered"] == 0
    visit = CareVisit.objects.get()
    assert "身体尚好" not in visit.note_enc and visit.note_clear() == "身体尚好"


def test_bad_visits_are_refused(tagged):
    for kw, field in ((dict(resident=tagged.R2.pk), "resident"),
                      (dict(visited_on=TODAY + datetime.timedelta(days=1)), "visited_on"),
                      (dict(note=""), "note")):
        args = dict(user=tagged.grid_worker, resident=tagged.R1.pk, visited_on=TODAY, note="看望") | kw
        with pytest.raises(ValidationError) as exc:
            services.visit_record(**args)
        assert field in exc.value.message_dict
    assert not CareVisit.objects.exists()


def test_a_visit_raises_a_referral_from_a_phone(tagged, client):
    client.force_login(tagged.grid_worker)
    home = client.get("/").content.decode()
    assert f"/care/visits/new/{tagged.R1.pk}/" in home
    r = client.post(f"/care/visits/new/{tagged.R1.pk}/", {"visited_on": TODAY.isoformat(), "note": "老人摔伤",
                                                          "concern": "1", "refer_note": "老人摔伤无人照顾"})
    assert r.status_code == 302
    visit = CareVisit.objects.get()
    case = Case.objects.get()
    assert visit.raised == case and case.referred_by == tagged.grid_worker and case.household_id == tagged.H1.pk
    assert client.get(f"/care/visits/new/{tagged.R2.pk}/").status_code == 404


def test_visits_over_the_api(tagged, api):
    due = api.get(tagged.grid_worker, "/api/v1/care/visits/due").json()
    assert [d["resident"] for d in due] == [tagged.R1.pk]
    r = api.post(tagged.grid_worker, "/api/v1/care/visits", {"resident": tagged.R2.pk, "visited_on": TODAY.isoformat(),
                                                             "note": "看望"})
    assert r.status_code == 400 and r.json()["field"] == "resident"
    r = api.post(tagged.grid_worker, "/api/v1/care/visits", {"resident": tagged.R1.pk, "visited_on": TODAY.isoformat(),
                                                             "note": "看望"})
    assert r.status_code == 201 and r.json()["referral"] is None
