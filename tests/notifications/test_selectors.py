"""The reverse policy selectors agree with the policy module for every user of the cast."""
import pytest

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.accounts.policy import acting_org_ids, can, users_acting_for, users_with
from gongzhi.appeals.capability import APPEAL_CREATE, APPEAL_DISPATCH, APPEAL_HANDLE, APPEAL_SUPERVISE, APPEAL_VERIFY, APPEAL_VIEW, APPEAL_WHISTLE
from gongzhi.grid.capability import GRID_CHANGE, HOUSEHOLD_CHANGE
from gongzhi.orgs.capability import ORG_CHANGE, ORG_VIEW
from gongzhi.people.capability import RESIDENT_VIEW
from gongzhi.orgs.models import Organisation

pytestmark = pytest.mark.django_db

ACTIONS = [APPEAL_DISPATCH, APPEAL_VERIFY, APPEAL_SUPERVISE, APPEAL_WHISTLE, APPEAL_VIEW,
           APPEAL_HANDLE, ORG_VIEW, ORG_CHANGE, APPEAL_CREATE, RESIDENT_VIEW, HOUSEHOLD_CHANGE, GRID_CHANGE]


def fresh(user):
    return User.objects.get(pk=user.pk)  # no cached scope


@pytest.fixture
def more_people(grid):
    """Scopes the cast lacks: a building-level grid worker, a compound-level community worker, an inactive one."""
    g = grid
    b = User.objects.create_user(username="building_worker")
    ra = RoleAssignment(user=b, role=Role.GRID_WORKER)
    ra.set_node(g.B3)
    ra.save()
    k = User.objects.create_user(username="k2_worker")
    ra = RoleAssignment(user=k, role=Role.COMMUNITY_WORKER)
    ra.set_node(g.K2)
    ra.save()
    gone = User.objects.create_user(username="gone", is_active=False)
    ra = RoleAssignment(user=gone, role=Role.COMMUNITY_WORKER)
    ra.set_node(g.C)
    ra.save()
    dept_staff = User.objects.create_user(username="dept_staff")
    RoleAssignment.objects.create(user=dept_staff, role=Role.PARTY_MEMBER, organisation=g.dept)
    return g


def test_users_with_action_matches_can(more_people, submit):
    g = more_people
    a1 = submit()
    a3 = submit(user=g.resident2, compound=g.K3, household=None)
    objects = [a1, a3, g.S, g.C, g.C2, g.K1, g.K3, g.B1, g.B3, g.H1, g.H3]
    users = [fresh(u) for u in User.objects.all()]
    for action in ACTIONS:
        for obj in objects:
            expected = {u.pk for u in users if u.is_active and can(u, action, obj)}
            got = set(users_with(action, obj).values_list("pk", flat=True))
            assert got == expected, (action, obj)


def test_roles_narrow_and_superusers_only_on_request(grid, submit):
    a = submit()
    boss = User.objects.create_superuser(username="boss", password="x" * 12)
    desk = set(users_with(APPEAL_DISPATCH, a, roles=[Role.COMMUNITY_WORKER]))
    assert desk == {grid.community_worker}
    assert grid.street_admin in users_with(APPEAL_DISPATCH, a)
    assert boss not in users_with(APPEAL_DISPATCH, a)
    assert boss in users_with(APPEAL_DISPATCH, a, include_superusers=True)


def test_users_acting_for_matches_acting_org_ids(more_people):
    users = [fresh(u) for u in User.objects.filter(is_active=True)]
    for org in Organisation.objects.all():
        expected = {u.pk for u in users if org.pk in acting_org_ids(u)}
        assert set(users_acting_for(org).values_list("pk", flat=True)) == expected, org
    assert set(users_acting_for([more_people.property_co.pk, more_people.office])) == \
        {more_people.property1, more_people.community_worker}


def test_one_query_each(grid, submit, django_assert_num_queries):
    a = submit()
    with django_assert_num_queries(1):
        list(users_with(APPEAL_DISPATCH, a))
    with django_assert_num_queries(1):
        list(users_acting_for(grid.dept))
