import datetime

import pytest
from django.conf import settings
from django.utils import translation

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.care import services
from gongzhi.orgs.models import Organisation, OrgKind

TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def _default_language_after():
    """A page asked for in English leaves English active in the thread (LocaleMiddleware activates, nothing
    deactivates): the next test's messages would be English. Back to the default after each test."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def care(grid):
    """The cast with a charity (its staff charity1, acting for it through a role over it and covering nothing)
    and a second grid worker for compound 2."""
    c = grid
    c.charity = Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="SX", name="兴宁市善小助学协会")
    c.charity1 = User.objects.create_user(username="charity1", password=c.password)
    RoleAssignment.objects.create(user=c.charity1, role=Role.PARTY_MEMBER, organisation=c.charity)
    c.other_charity = Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="SY", name="另一个基金会")
    c.charity2 = User.objects.create_user(username="charity2", password=c.password)
    RoleAssignment.objects.create(user=c.charity2, role=Role.PARTY_MEMBER, organisation=c.other_charity)
    c.grid_worker2 = User.objects.create_user(username="grid_worker2", password=c.password)
    ra = RoleAssignment(user=c.grid_worker2, role=Role.GRID_WORKER)
    ra.set_node(c.K2)
    ra.save()
    return c


@pytest.fixture
def referred(care):
    """A referral by property1 of household H1 (compound 1)."""
    return services.refer(user=care.property1, household=care.H1.pk, note="张家孩子常在物业门口等到很晚，母亲失业，家里老人住院")


@pytest.fixture
def opened(care, referred):
    """The referral assigned to community_worker, verified and opened as a low-income case."""
    services.assign(user=care.community_worker, case=referred, worker=care.community_worker.pk)
    return services.verify(user=care.community_worker, case=referred.pk, visited_on=TODAY, findings="母亲失业半年，父亲去世",
                           decision="open", case_type="low_income", visited_with="网格员", documents_seen="户口簿、失业证",
                           health="奶奶慢性肾病，每周透析", finances="月收入约800元，欠医药费3万元", household_size=3,
                           applicant=care.R1b.pk)
