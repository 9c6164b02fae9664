"""Suggestions for a need: who ranks where and why, read through the skill index (MemberSkill) and bounded
pools rather than the comma-separated skills."""
import datetime

from gongzhi.accounts.models import User
from gongzhi.lists import matching, services
from gongzhi.lists.models import MemberSkill, Registration, RegistrationKind, Resource

from .conftest import TODAY


def _member(c, name, compound, skills, hours, confirm=True):
    user = User.objects.create_user(username=name, password=c.password, display_name=name)
    reg = Registration.objects.create(kind=RegistrationKind.MEMBER, user=user, compound=compound, work_unit="某单位",
                                      skills=",".join(skills), weekly_hours=hours)
    if confirm is not None:
        services.registration_decide(user=c.community_worker, registration=reg, confirm=confirm,
                                     reason="" if confirm else "不在本社区居住")
    return user


def _offer(c, title, compound, topic="elderly", **kw):
    return Resource.objects.create(title=title, kind="skill", topic=topic, provider_kind="volunteer",
                                   compound=compound, **kw)


def test_confirming_a_member_indexes_their_skills_and_nothing_else_does(lists):
    c = lists
    rows = MemberSkill.objects.filter(user=c.member1)
    assert sorted(rows.values_list("topic", flat=True)) == ["elderly", "repair"]
    assert {(r.compound_id, r.weekly_hours) for r in rows} == {(c.K1.pk, 4)}
    pending = _member(c, "pending", c.K1, ["elderly"], 5, confirm=None)
    refused = _member(c, "refused", c.K1, ["elderly"], 5, confirm=False)
    assert not MemberSkill.objects.filter(user__in=[pending, refused]).exists()


def test_ranking_and_reasons(lists, post_need):
    c = lists
    need = post_need()  # elderly, at K1, for three people over the next two weeks
    here = _offer(c, "上门理发", c.K1, capacity=5)
    near = _offer(c, "助浴", c.K2, capacity=1, available_to=TODAY + datetime.timedelta(days=3))
    _offer(c, "别的社区", c.K3)
    _offer(c, "别的类别", c.K1, topic="legal")
    _offer(c, "已停用", c.K1, active=False)
    neighbour = _member(c, "neighbour", c.K2, ["children", "elderly"], 12)
    _member(c, "reader", c.K1, ["children"], 10)
    _member(c, "waiting", c.K1, ["elderly"], 10, confirm=None)
    got = [(s.kind, s.id, s.score, [str(r) for r in s.reasons]) for s in matching.suggest(c.community_worker, need)]
    assert got == [
        ("resource", here.pk, 80, ["类别相符：助老服务", "同一小区", "需求时段内可提供", "可服务5人次，足够"]),
        ("member", c.member1.pk, 63, ["特长相符", "同一小区", "每周可服务4小时", "当前没有在办项目"]),
        ("member", neighbour.pk, 55, ["特长相符", "同一社区", "每周可服务12小时", "当前没有在办项目"]),
        ("resource", near.pk, 30, ["类别相符：助老服务", "同一社区", "可提供时段与需求不完全重合"]),
    ]


def test_a_members_open_projects_lower_them(lists, post_need, published):
    c = lists
    services.project_take(user=c.member1, project=published())
    need = post_need()
    [member] = [s for s in matching.suggest(c.community_worker, need) if s.kind == "member"]
    assert member.score == 20 + 30 + 8 - 5 and "正在服务1个项目" in [str(r) for r in member.reasons]


def test_the_pool_keeps_the_members_with_most_hours(lists, post_need, monkeypatch):
    c = lists
    monkeypatch.setattr(matching, "POOL", 2)
    three = _member(c, "three", c.K1, ["elderly"], 3)
    one = _member(c, "one", c.K1, ["elderly"], 1)
    far = _member(c, "far", c.K2, ["elderly"], 9)
    ids = [s.id for s in matching.suggest(c.community_worker, post_need()) if s.kind == "member"]
    assert ids == [c.member1.pk, three.pk, far.pk] and one.pk not in ids
