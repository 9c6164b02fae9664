"""Appeals on top of the cast: polygons for K1/K2, offices, a department, and a few helpers."""
from decimal import Decimal

import pytest

from gongzhi.appeals.models import Category
from gongzhi.appeals.services import appeal_act, appeal_submit
from gongzhi.orgs.models import Coverage, Organisation, OrgKind


def square(lat, lng, half=0.001):
    return {"type": "Polygon", "coordinates": [[[lng - half, lat - half], [lng + half, lat - half],
                                                [lng + half, lat + half], [lng - half, lat + half],
                                                [lng - half, lat - half]]]}


@pytest.fixture
def grid(cast):
    c = cast
    for k, (lat, lng) in ((c.K1, (24.140, 115.730)), (c.K2, (24.150, 115.730)), (c.K3, (24.160, 115.750))):
        k.center_lat, k.center_lng, k.boundary = Decimal(str(lat)), Decimal(str(lng)), square(lat, lng)
        k.save()
    c.office = Organisation.objects.create(kind=OrgKind.COMMUNITY_OFFICE, code="CO1", name="新城社区居委会")
    Coverage.objects.create(organisation=c.office, community=c.C)
    c.office2 = Organisation.objects.create(kind=OrgKind.COMMUNITY_OFFICE, code="CO2", name="东风社区居委会")
    Coverage.objects.create(organisation=c.office2, community=c.C2)
    c.street_office = Organisation.objects.create(kind=OrgKind.SUBDISTRICT_OFFICE, code="SO1", name="福兴街道办事处")
    Coverage.objects.create(organisation=c.street_office, subdistrict=c.S)
    c.dept = Organisation.objects.create(kind=OrgKind.GOV_DEPARTMENT, code="D1", name="城管执法中队")
    Coverage.objects.create(organisation=c.dept, subdistrict=c.S)
    c.dept2 = Organisation.objects.create(kind=OrgKind.GOV_DEPARTMENT, code="D2", name="市场监管所")
    Coverage.objects.create(organisation=c.dept2, subdistrict=c.S)
    c.lift = Category.objects.get(code="lift")
    c.lighting = Category.objects.get(code="lighting")
    c.illegal = Category.objects.get(code="illegal_building")
    c.policy_q = Category.objects.get(code="policy")
    c.hardship = Category.objects.get(code="hardship")
    return c


@pytest.fixture
def submit(grid):
    def _submit(user=None, category=None, **kw):
        kw.setdefault("description", "3栋电梯停在8楼不动，里面没人")
        if not any(k in kw for k in ("compound", "building", "household", "lat")):
            kw["compound"] = grid.K1
        return appeal_submit(user=user or grid.resident1, category=category or grid.lift, **kw)
    return _submit


@pytest.fixture
def act():
    def _act(user, appeal, action, **kw):
        return appeal_act(user=user, appeal=appeal, action=action, **kw)
    return _act
