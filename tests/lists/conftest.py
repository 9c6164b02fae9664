import datetime

import pytest

from gongzhi.accounts.models import Role, RoleAssignment, User
from gongzhi.lists import services
from gongzhi.lists.models import RegistrationKind
from gongzhi.orgs.models import Coverage, Organisation, OrgKind

TODAY = datetime.date.today()


@pytest.fixture
def lists(cast):
    """The cast, with a registered unit (its contact unit1) and member1 registered and confirmed."""
    c = cast
    c.unit = Organisation.objects.create(kind=OrgKind.RESIDENT_UNIT, code="U1", name="兴宁市供电局")
    Coverage.objects.create(organisation=c.unit, community=c.C)
    c.unit1 = User.objects.create_user(username="unit1", password=c.password)
    RoleAssignment.objects.create(user=c.unit1, role=Role.PARTY_MEMBER, organisation=c.unit)
    reg = services.registration_submit(user=c.member1, kind=RegistrationKind.MEMBER, compound=c.K1.pk,
                                       work_unit="兴宁市供电局", skills=["elderly", "repair"], weekly_hours=4)
    services.registration_decide(user=c.community_worker, registration=reg, confirm=True)
    ureg = services.registration_submit(user=c.unit1, kind=RegistrationKind.UNIT, compound=c.K1.pk,
                                        organisation=c.unit.pk, resources_note="电工两名")
    services.registration_decide(user=c.community_worker, registration=ureg, confirm=True)
    return c


@pytest.fixture
def post_need(lists):
    def post(user=None, **kw):
        data = dict(title="三栋卧床老人上门理发", category="elderly", compound=lists.K1.pk,
                    wanted_from=TODAY.isoformat(), wanted_to=(TODAY + datetime.timedelta(days=14)).isoformat(),
                    people=3)
        data.update(kw)
        return services.need_post(user=user or lists.resident1, **data)
    return post


@pytest.fixture
def published(lists, post_need):
    def make(places=1, **kw):
        need = post_need()
        return services.project_create(user=lists.community_worker, needs=[need.pk], title="上门理发",
                                       mode="publish", places=places, **kw)
    return make
