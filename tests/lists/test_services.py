import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from gongzhi.core.models import AuditEntry
from gongzhi.lists import selectors, services
from gongzhi.lists.models import (LedgerEntry, ListsEvent, Need, NeedStatus, Project, ProjectStatus, Registration,
                                  RegistrationKind, RegistrationStatus, Take)
from gongzhi.lists.services import Conflict

from .conftest import TODAY


def _whole_loop(c, project, hours="2.5"):
    service = services.service_record(user=c.member1, project=project, served_on=TODAY.isoformat(), hours=hours,
                                      people_served=3, note="为三位老人理发")
    return service


def test_need_lands_at_the_residents_home_and_is_audited(lists, post_need):
    need = post_need()
    assert (need.compound_id, need.household_id) == (lists.K1.pk, lists.H1.pk)
    assert need.status == NeedStatus.OPEN
    assert AuditEntry.objects.filter(object_type="lists.need", object_id=str(need.pk), detail="post").exists()
    assert ListsEvent.objects.filter(need=need, action="need_posted", notify_pending=True).exists()
    assert list(selectors.needs_to_review(lists.community_worker)) == [need]
    assert list(selectors.needs(lists.resident2)) == []


def test_need_outside_scope_refused_nothing_written(lists, post_need):
    with pytest.raises(ValidationError) as e:
        post_need(compound=lists.K2.pk)  # resident1 lives in K1
    assert "compound" in e.value.message_dict
    assert not Need.objects.exists()


@pytest.mark.parametrize("kw,field", [
    ({"title": ""}, "title"), ({"category": "spaceflight"}, "category"), ({"people": 0}, "people"),
    ({"people": "many"}, "people"), ({"wanted_to": "2020-01-01"}, "wanted_to"), ({"wanted_from": "x"}, "wanted_from"),
    ({"compound": 999999}, "compound"),
])
def test_need_bad_input(lists, post_need, kw, field):
    with pytest.raises(ValidationError) as e:
        post_need(**kw)
    assert field in e.value.message_dict
    assert not Need.objects.exists()


def test_project_take_serve_rate_confirm_adds_hours(lists, published):
    c = lists
    project = published(places=2)
    need = project.needs.get()
    assert need.status == NeedStatus.IN_PROJECT
    assert project in list(selectors.take_board(c.member1))
    services.project_take(user=c.member1, project=project)
    assert project not in list(selectors.take_board(c.member1))
    service = _whole_loop(c, project)
    assert list(selectors.services_to_rate(c.resident1)) == [service]
    services.service_rate(user=c.resident1, service=service, rating=3, comment="很好")
    with pytest.raises(Conflict):
        services.service_rate(user=c.resident1, service=service, rating=1)
    assert service.served.get().rating == 3
    services.service_confirm(user=c.community_worker, service=service)
    assert selectors.my_hours(c.member1, TODAY.year)["hours"] == Decimal("2.5")
    assert selectors.my_hours(c.member1, TODAY.year)["points"] == 25
    need.refresh_from_db()
    assert need.status == NeedStatus.DONE
    with pytest.raises(Conflict):
        services.service_confirm(user=c.community_worker, service=service)
    assert LedgerEntry.objects.count() == 1


def test_rating_a_service_one_did_not_receive_is_404(lists, published):
    c = lists
    project = published()
    services.project_take(user=c.member1, project=project)
    service = _whole_loop(c, project)
    with pytest.raises(Http404):
        services.service_rate(user=c.resident2, service=service, rating=3)
    assert service.served.get().rating is None


@pytest.mark.parametrize("hours", ["-1", "0", "24.5", "100", "abc", "1.25", "NaN", "Infinity"])
def test_absurd_hours_refused(lists, published, hours):
    c = lists
    project = published()
    services.project_take(user=c.member1, project=project)
    with pytest.raises(ValidationError) as e:
        _whole_loop(c, project, hours=hours)
    assert "hours" in e.value.message_dict


def test_taking_full_or_closed_or_dispatched_refused(lists, published, cast):
    c = lists
    project = published(places=1)
    services.project_take(user=c.member1, project=project)
    with pytest.raises(Conflict):
        services.project_take(user=c.unit1, project=project)  # full
    project2 = published(places=3)
    Project.objects.filter(pk=project2.pk).update(status=ProjectStatus.CLOSED)
    with pytest.raises(Conflict):
        services.project_take(user=c.member1, project=project2)
    assert Take.objects.filter(project=project2).count() == 0
    need = Need.objects.create(poster=c.resident1, title="x", topic="repair", compound=c.K1, wanted_from=TODAY,
                               wanted_to=TODAY)
    dispatched = services.project_create(user=c.community_worker, needs=[need.pk], title="维修", mode="dispatch",
                                         places=1, units=[c.unit.pk])
    with pytest.raises(Http404):  # not published for taking
        services.project_take(user=c.member1, project=dispatched)
    assert dispatched in list(selectors.my_projects(c.unit1))


def test_dispatched_unit_records_for_the_unit_and_the_unit_gets_the_hours(lists, post_need):
    c = lists
    need = post_need(category="repair")
    project = services.project_create(user=c.community_worker, needs=[need.pk], title="维修", mode="dispatch",
                                      places=1, units=[c.unit.pk])
    service = services.service_record(user=c.unit1, project=project, served_on=TODAY, hours="3",
                                      organisation=c.unit.pk)
    services.service_confirm(user=c.community_worker, service=service)
    assert selectors.hours_of(organisation=c.unit.pk)[TODAY.year][0] == Decimal("3")
    assert selectors.my_hours(c.unit1, TODAY.year)["units"][0]["hours"] == Decimal("3")


def test_ledger_correction(lists, published):
    c = lists
    project = published()
    services.project_take(user=c.member1, project=project)
    service = services.service_confirm(user=c.community_worker, service=_whole_loop(c, project, "4"))
    entry = LedgerEntry.objects.get(service=service)
    with pytest.raises(ValidationError):
        services.ledger_correct(user=c.community_worker, entry=999999, reason="录入错误")
    with pytest.raises(ValidationError):
        services.ledger_correct(user=c.member1, entry=entry.pk, reason="录入错误")  # not theirs to correct
    reversal = services.ledger_correct(user=c.community_worker, entry=entry.pk, reason="录入错误")
    assert reversal.hours == Decimal("-4.0") and reversal.points == -40
    for again in (entry.pk, reversal.pk):
        with pytest.raises(ValidationError):
            services.ledger_correct(user=c.community_worker, entry=again, reason="再次")
    assert selectors.my_hours(c.member1, TODAY.year)["hours"] == 0
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    assert LedgerEntry.objects.count() == 2


def test_registration_once_and_refusal_needs_reason(lists):
    c = lists
    with pytest.raises(ValidationError):
        services.registration_submit(user=c.member1, kind="member", compound=c.K1.pk, work_unit="某单位")
    with pytest.raises(ValidationError):
        services.registration_submit(user=c.member1, kind="unit", compound=c.K1.pk, organisation=c.unit.pk)
    assert Registration.objects.count() == 2
    reg = services.registration_submit(user=c.resident2, kind="member", compound=c.K2.pk, work_unit="兴宁中学")
    assert reg.household_id == c.H2.pk
    with pytest.raises(ValidationError):
        services.registration_decide(user=c.community_worker, registration=reg, confirm=False, reason="")
    with pytest.raises(Http404):
        services.registration_decide(user=c.member1, registration=reg, confirm=True)
    services.registration_decide(user=c.community_worker, registration=reg, confirm=True, commitment_hours="20")
    reg.refresh_from_db()
    assert reg.commitment_hours == Decimal("20")


def test_service_date_in_the_future_refused(lists, published):
    c = lists
    project = published()
    services.project_take(user=c.member1, project=project)
    with pytest.raises(ValidationError):
        services.service_record(user=c.member1, project=project, hours="1",
                                served_on=(TODAY + datetime.timedelta(days=3)).isoformat())
    assert not project.services.exists()


def test_a_contact_of_several_units_reads_their_hours_in_fixed_queries(lists):
    """my_hours (the member's home panel and page) reads every unit's hours at once, not a query per unit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gongzhi.accounts.models import Role, RoleAssignment, User
    from gongzhi.orgs.models import Coverage, Organisation, OrgKind

    c = lists

    def cost():
        user = User.objects.get(pk=c.unit1.pk)  # fresh: its roles read inside, as in a request
        with CaptureQueriesContext(connection) as q:
            units = selectors.my_hours(user, TODAY.year)["units"]
        return len(q.captured_queries), len(units)

    one, n = cost()
    assert n == 1
    for i in range(2, 5):
        unit = Organisation.objects.create(kind=OrgKind.RESIDENT_UNIT, code=f"U{i}", name=f"驻区单位{i}")
        Coverage.objects.create(organisation=unit, community=c.C)
        RoleAssignment.objects.create(user=c.unit1, role=Role.PARTY_MEMBER, organisation=unit)
        Registration.objects.create(user=c.unit1, kind=RegistrationKind.UNIT, compound=c.K1, organisation=unit,
                                    status=RegistrationStatus.CONFIRMED)
    assert cost() == (one, 4)
