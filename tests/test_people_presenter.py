"""people.presenter: what one user sees of a resident, decided once for pages, API, search, exports and imports."""
from datetime import date

import pytest
from django.template import Context, Template

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.grid.models import Building, Household
from gongzhi.people import presenter
from gongzhi.people.models import Resident
from gongzhi.people.selectors import residents_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_buildings(cast):
    """K1 gets a second building; a user is property staff over K1 (view only) and grid worker of building 1
    (phones there): within one compound, one household's phones are theirs to reveal and the other's not."""
    c = cast
    c.B1y = Building.objects.create(compound=c.K1, code="2", name="2栋")
    c.H1y = Household.objects.create(building=c.B1y, code="201", address="宁江新城一期2栋201")
    c.R1y = Resident(name="赵敏", household=c.H1y, relation="head")
    c.R1y.set_phone("13300009999")
    c.R1y.save()
    ra = RoleAssignment(user=c.property1, role=Role.GRID_WORKER)
    ra.set_node(c.B1)
    ra.save()
    return c


def test_a_list_reads_each_households_sight_not_the_first_of_its_compound(two_buildings):
    c = two_buildings
    listed = list(residents_for(c.property1, compound=c.K1.pk))
    assert {r.household_id for r in listed} == {c.H1.pk, c.H1b.pk, c.H1y.pk}
    views = presenter.views_of(c.property1, listed)
    one_by_one = [presenter.view_of(c.property1, r) for r in listed]
    assert [v.can_reveal_phone for v in views] == [v.can_reveal_phone for v in one_by_one]
    assert {v.name: v.can_reveal_phone for v in views} == {"张伟": True, "李娜": True, "王强": True, "赵敏": False}


def test_sensitive_tags_and_exact_age_only_with_the_id_reveal_right(cast):
    c = cast
    c.R1.tags.set([c.tag_elderly, c.tag_dibao])
    c.R1.birth_date = date(1980, 1, 1)
    c.R1.save()
    today = date(2026, 12, 7)
    desk = presenter.view_of(c.community_worker, c.R1, today)
    assert sorted(t.code for t in desk.tags) == ["dibao", "elderly_alone"]
    assert (desk.age, desk.age_band, desk.can_reveal_id) == (46, "40-49", True)
    staff = presenter.view_of(c.property1, c.R1, today)
    assert [t.code for t in staff.tags] == ["elderly_alone"]
    assert (staff.age, staff.age_band, staff.can_reveal_id, staff.can_reveal_phone) == (None, "40-49", False, False)
    assert list(presenter.tag_choices(c.property1).values_list("code", flat=True)) == ["elderly_alone"]
    assert list(presenter.tag_choices(c.community_worker).values_list("code", flat=True)) == ["dibao", "elderly_alone"]


def test_a_tag_filter_finds_sensitive_carriers_only_where_the_user_sees_them(cast):
    c = cast
    c.R1.tags.set([c.tag_dibao])
    c.R2.tags.set([c.tag_dibao, c.tag_elderly])
    assert set(presenter.carrying(c.community_worker, Resident.objects.all(), "dibao")) == {c.R1, c.R2}
    assert list(presenter.carrying(c.property1, Resident.objects.all(), "dibao")) == []
    assert list(presenter.carrying(c.property1, Resident.objects.all(), "elderly_alone")) == [c.R2]


def test_a_view_never_hands_on_a_clear_number(cast):
    c = cast
    view = presenter.view_of(c.street_admin, c.R1)
    assert view.can_reveal_id and view.can_reveal_phone
    for name in ("phone_clear", "id_number_clear", "phone_enc", "id_number_enc", "id_number_hash"):
        with pytest.raises(AttributeError):
            getattr(view, name)
    rendered = Template("{{ r.name }}|{{ r.phone_clear }}|{{ r.id_number_clear }}|{{ r.phone_masked }}").render(
        Context({"r": view}))
    assert rendered == f"张伟|||{c.R1.phone_masked}"
    assert "13800135678" not in rendered


def test_no_reveal_button_for_a_number_never_recorded(cast):
    c = cast
    c.R1.phone_enc = ""
    c.R1.save()
    view = presenter.view_of(c.street_admin, c.R1)
    assert (view.can_reveal_phone, view.can_reveal_id) == (False, True)
