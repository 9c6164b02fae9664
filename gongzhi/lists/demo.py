"""A year of the three lists in Xincheng for the demo: a resident unit and its contact `unit1`, member1 and a
few more members registered (双报到), resources, and needs answered by projects whose services were done,
rated and confirmed — more than 30 micro-services, as the seed reports. Everything goes through the services;
the timeline is muted (history tells nobody). The last step: it reads the grid, the organisations and the
accounts from the database, with a random stream of its own (the seed + 3)."""
import datetime
import random

from django.contrib.auth import get_user_model

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.core import timeline
from gongzhi.core.demo import DEMO_PASSWORD, REFERENCE_DATE
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Coverage, Organisation, OrgKind

from . import services
from .models import Category

NEEDS = {
    "elderly": ["为卧床老人上门理发", "独居老人家中助浴", "陪同高龄老人就医", "为老人测量血压并讲解用药"],
    "children": ["开设儿童阅读角", "暑期少儿书法课", "放学后作业辅导"],
    "health": ["社区义诊进小区", "眼科免费筛查"],
    "repair": ["楼道灯具检修", "老旧线路安全检查", "家电免费维修"],
    "environment": ["清理楼道杂物", "绿化带补种"],
    "culture": ["重阳节文艺汇演", "广场舞队排练指导"],
    "legal": ["物业纠纷法律咨询", "老年人防诈骗讲座"],
    "wish": ["为困难儿童圆一个书包心愿", "为独居老人添一台收音机"],
}
SERVICES = 36


def load_lists(plan):
    rng = random.Random(plan.seed + 3)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(
        username__in=["community_worker", "member1", "resident1", "resident2"])}
    if len(users) < 4 or User.objects.filter(username="unit1").exists():
        return {"lists_services": 0}
    worker, member, residents = users["community_worker"], users["member1"], [users["resident1"], users["resident2"]]
    party = Organisation.objects.filter(kind=OrgKind.PARTY_COMMITTEE).order_by("pk").first()
    community = Coverage.objects.filter(organisation=party, community__isnull=False).first().community
    compounds = list(Compound.objects.filter(community=community).order_by("code"))
    unit = Organisation.objects.create(kind=OrgKind.RESIDENT_UNIT, code="UNIT-GDJ", name="兴宁市供电局新城营业厅",
                                       address=f"{compounds[0].name}东门旁")
    Coverage.objects.create(organisation=unit, community=community)
    unit1 = User.objects.create_user(username="unit1", password=DEMO_PASSWORD, display_name="供电局联络员")
    RoleAssignment.objects.create(user=unit1, role=Role.PARTY_MEMBER, organisation=unit)
    with timeline.muted():
        home = member.resident.household.building.compound if member.resident_id else compounds[0]
        reg = services.registration_submit(user=member, kind="member", compound=home.pk, work_unit="兴宁市第一中学",
                                           party_branch="兴宁市第一中学党支部", skills=["elderly", "children", "repair"],
                                           weekly_hours=4)
        services.registration_decide(user=worker, registration=reg, confirm=True)
        ureg = services.registration_submit(user=unit1, kind="unit", compound=compounds[0].pk, organisation=unit.pk,
                                            party_branch="供电局新城营业厅党支部", resources_note="电工两名，会议室一间")
        services.registration_decide(user=worker, registration=ureg, confirm=True)
        kinds = {"elderly": "skill", "children": "venue", "health": "service", "repair": "skill",
                 "environment": "material", "culture": "venue", "legal": "skill", "wish": "funds"}
        for i, topic in enumerate(NEEDS):
            services.resource_offer(user=worker, title=f"{Category(topic).label}资源", kind=kinds[topic],
                                    category=topic, provider_kind=rng.choice(["social", "property", "volunteer"]),
                                    compound=compounds[i % len(compounds)].pk, capacity=rng.randint(5, 40))
        services.resource_offer(user=unit1, title="供电局电工上门检修", kind="skill", category="repair",
                                provider_kind="unit", compound=compounds[0].pk, organisation=unit.pk, capacity=20)
        start = REFERENCE_DATE - datetime.timedelta(days=360)
        for n in range(SERVICES + 6):
            topic = rng.choice(list(NEEDS))
            day = start + datetime.timedelta(days=n * 8 + rng.randint(0, 5))
            poster = residents[n % 2]
            home = poster.resident.household.building.compound
            need = services.need_post(user=poster, title=rng.choice(NEEDS[topic]), category=topic, compound=home.pk,
                                      wanted_from=day, wanted_to=day + datetime.timedelta(days=7),
                                      people=rng.randint(1, 12))
            if n >= SERVICES:
                continue  # the last few are still open on the desk
            dispatch = topic == "repair"
            project = services.project_create(user=worker, needs=[need.pk], title=need.title,
                                              mode="dispatch" if dispatch else "publish", places=1,
                                              units=[unit.pk] if dispatch else [])
            if dispatch:
                service = services.service_record(user=unit1, project=project, served_on=day, organisation=unit.pk,
                                                  hours=rng.choice(["1.5", "2", "3"]), people_served=need.people)
            else:
                services.project_take(user=member, project=project)
                service = services.service_record(user=member, project=project, served_on=day,
                                                  hours=rng.choice(["1", "1.5", "2", "2.5"]), people_served=need.people)
            services.service_rate(user=poster, service=service, rating=rng.choice([3, 3, 3, 2]))
            services.service_confirm(user=worker, service=service)
    return {"lists_services": SERVICES}
