"""Historical appeals for the demo: a few hundred across categories and states, made through the services.

Every appeal walks the real workflow (submit, dispatch, take, resolve,
verify, rate…) so queues, timelines and the three rates look as they would
after a season of use. Texts, places, categories and outcomes follow the
seed; times are laid back from the moment of loading, so deadlines and
countdowns are current whenever the demo is installed.

The last step of the demo (gongzhi/core/demo.py): it reads the grid, the
organisations and the accounts from the database, with a random stream of
its own (the seed + 311), and plans nothing.
"""
import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.accounts.models import RoleAssignment
from gongzhi.grid.models import Building, Compound
from gongzhi.orgs.models import Organisation, OrgKind
from gongzhi.people.models import Resident

from . import notify
from .errors import AppealError
from .models import Category, Channel
from .routing import route
from .services import appeal_act, appeal_submit

TEXTS = {
    "lift": ["{b}电梯经常停在{f}楼不动，老人上下楼很困难", "{b}电梯门关不上，一直报警", "{b}电梯运行时有异响，担心安全",
             "{b}电梯按钮失灵，按了没反应"],
    "cleaning": ["{b}楼下垃圾桶满了两天没人清理，有异味", "{b}楼道里堆放杂物没人清理", "小区{b}旁边的化粪池有臭味"],
    "greening": ["{b}前面的绿化带杂草很多，建议修剪", "{b}旁边的大树树枝快碰到窗户了，请修剪", "建议在{b}附近增加一些绿植"],
    "parking": ["{b}楼下消防通道经常被私家车占用", "地下车库{b}入口处乱停车，车辆进出困难", "有车辆长期占用{b}门口的临时车位"],
    "leak": ["{b}{f}楼楼上漏水，天花板已经发霉", "{b}外墙渗水，下雨时墙面湿透", "{b}地下室积水，水泵不工作"],
    "property_fee": ["想咨询一下物业费的收费标准和公示情况", "车位管理费为什么上涨了，有没有公示"],
    "lighting": ["{b}附近的路灯不亮，晚上很黑", "小区主干道路灯坏了好几盏", "{b}楼道感应灯坏了"],
    "road": ["小区门口的人行道砖块松动，容易绊倒", "{b}出口外的路面有一个大坑"],
    "manhole": ["{b}旁边的井盖丢失，很危险，请尽快处理"],
    "illegal_building": ["{b}顶楼有人在搭建违章阁楼", "{b}一楼住户私自扩建院子，占用公共绿地"],
    "street_vending": ["小区门口早上有流动摊贩占道经营，堵塞出入", "晚上小区外有烧烤摊占道，油烟很大"],
    "noise": ["{b}{f}楼装修噪音晚上十点后还没停", "广场舞音响声音太大，影响休息", "{b}楼下商铺晚上放音乐很吵"],
    "policy": ["想咨询办理居住证需要哪些材料", "请问老年人优待证在哪里办理", "咨询一下孩子入学需要准备哪些证明"],
    "hardship": ["家里老人生病住院，经济困难，想了解能申请哪些救助", "失业后生活困难，想咨询低保申请条件"],
    "suggestion": ["建议在党群驿站增加老年人书法活动", "建议小区设置快递集中存放点", "建议增设充电桩，方便电动车充电"],
    "dispute": ["{b}{f}楼邻居养狗经常吠叫，协商无果", "楼上楼下因为漏水赔偿产生纠纷，希望社区调解"],
    "gas_leak": ["{b}{f}楼楼道闻到很浓的燃气味"],
    "fire_lane": ["{b}楼道里有人停放电动车充电，存在消防隐患", "{b}消防通道被杂物堵塞"],
}
REPLIES = ["已安排人员现场处理，问题已解决", "已联系维保单位完成维修", "经现场核查已整改到位", "已协调相关方达成一致",
           "已电话回复并告知办理流程", "已清理完毕，并加强日常巡查"]
# How far each appeal gets: (weight, final step).
OUTCOMES = [(46, "closed"), (8, "verified"), (7, "resolved"), (12, "in_progress"), (6, "dispatched"),
            (6, "submitted"), (4, "accepted"), (3, "rejected"), (2, "returned"), (3, "extension"), (3, "reopened")]
RATINGS = [(62, "satisfied"), (24, "basically"), (14, "unsatisfied")]


def load_appeals(plan):
    with notify.muted():  # history tells nobody
        return {"appeals": load_demo_appeals(plan.seed, count=max(20, int(360 * plan.scale)))}


def _weighted(rng, pairs):
    return rng.choices([v for _, v in pairs], weights=[w for w, _ in pairs])[0]


def _actor_for(org, users):
    if org is None:
        return users["community_worker"]
    ra = RoleAssignment.objects.filter(organisation=org).select_related("user").order_by("id").first()
    if ra:
        return ra.user
    if org.kind in (OrgKind.GOV_DEPARTMENT, OrgKind.SUBDISTRICT_OFFICE):
        return users["street_admin"]
    return users["community_worker"]


def load_demo_appeals(seed=20230316, count=360, now=None):
    rng = random.Random(seed + 311)
    now = now or timezone.now()
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=(
        "street_admin", "community_worker", "grid_worker1", "grid_worker2", "property1", "resident1", "resident2"))}
    compounds = list(Compound.objects.select_related("community").order_by("code"))
    buildings = {}
    for b in Building.objects.order_by("compound_id", "code"):
        buildings.setdefault(b.compound_id, []).append(b)
    categories = {c.code: c for c in Category.objects.filter(code__in=TEXTS)}
    callers = list(Resident.objects.exclude(phone_hash=None).order_by("id").values_list("id", flat=True)[:4000:7])
    own = {u.pk: u.resident.household.building.compound for u in (users["resident1"], users["resident2"])
           if u.resident_id and u.resident.household_id}
    grid_workers = {users["grid_worker1"]: compounds[0], users["grid_worker2"]: compounds[1]}
    made = 0
    codes = sorted(TEXTS)
    for i in range(count):
        code = rng.choice(codes)
        category = categories[code]
        outcome = _weighted(rng, OUTCOMES)
        # Closed appeals are older; open ones recent, some past their deadline.
        age_days = rng.uniform(15, 120) if outcome in ("closed", "rejected", "reopened") else rng.uniform(0.1, 20)
        created = now - datetime.timedelta(days=age_days)
        channel = rng.choices([Channel.APP, Channel.HOTLINE, Channel.PATROL, Channel.PROPERTY], weights=[45, 30, 15, 10])[0]
        compound = rng.choice(compounds)
        kw = {}
        if channel == Channel.APP:
            reporter = rng.choice([users["resident1"], users["resident2"]])
            compound = own.get(reporter.pk, compound) if rng.random() < 0.8 else compound
        elif channel == Channel.PATROL:
            reporter, compound = rng.choice(list(grid_workers.items()))
        elif channel == Channel.PROPERTY:
            reporter = users["property1"]
            compound = rng.choice(compounds[:3])
        else:
            reporter = users["community_worker"]
            caller = Resident.objects.get(pk=rng.choice(callers))
            kw = {"contact_name": caller.name, "contact_phone": caller.phone_clear()}
        if code in ("lift", "gas_leak") and compound.code == compounds[0].code and rng.random() < 0.5:
            pass  # lifts break everywhere; nothing special
        b = rng.choice(buildings.get(compound.pk) or [None])
        text = rng.choice(TEXTS[code]).format(b=b.name if b else "", f=rng.randint(2, 18))
        try:
            appeal = appeal_submit(user=reporter, category=category, description=text, channel=channel,
                                   compound=compound, building=b, is_public=category.may_be_public and rng.random() < 0.6,
                                   now=created, **kw)
            made += 1
            _walk(rng, appeal, outcome, created, now, users, reporter)
        except AppealError:
            continue
    return made


def _walk(rng, appeal, outcome, created, now, users, reporter):
    desk = users["community_worker"]
    t = created

    def step(hours):
        nonlocal t
        t = min(t + datetime.timedelta(hours=hours), now - datetime.timedelta(minutes=5))
        return t

    def do(user, action, **kw):
        return appeal_act(user=user, appeal=appeal.pk, action=action, now=step(kw.pop("after", rng.uniform(0.5, 20))), **kw)

    if outcome == "submitted":
        return
    if outcome == "rejected":
        do(desk, "reject", note="经核实不属于社区受理范围，已告知来电人向相关部门反映")
        return
    do(desk, "accept", after=rng.uniform(0.2, 6))
    if outcome == "accepted":
        return
    handler, _, _ = route(appeal.category, appeal.compound)
    handler = handler or Organisation.objects.filter(kind=OrgKind.COMMUNITY_OFFICE).first()
    do(desk, "dispatch", handler=handler.pk, after=rng.uniform(0.2, 8))
    worker = _actor_for(handler, users)
    if outcome == "returned":
        do(worker, "return", note="该事项不属于本单位职责范围，请重新派单")
        return
    if outcome == "dispatched":
        return
    do(worker, "take", after=rng.uniform(0.5, 30))
    if outcome == "in_progress":
        if rng.random() < 0.4:
            do(worker, "reply", note="已安排人员上门查看")
        return
    if outcome == "extension":
        do(worker, "request_extension", note="需要采购配件，申请延期", days=rng.randint(2, 5))
        return
    do(worker, "resolve", note=rng.choice(REPLIES), after=rng.uniform(4, 120))
    if outcome == "resolved":
        return
    verifier = reporter if appeal.reporter_id == reporter.pk and reporter.username.startswith("resident") else desk
    do(verifier, "verify", after=rng.uniform(2, 48))
    if outcome == "verified":
        return
    rating = "unsatisfied" if outcome == "reopened" else _weighted(rng, RATINGS)
    if appeal.reporter_id:
        do(reporter, "rate", rating=rating, note="" if rating != "unsatisfied" else "处理不够及时", after=rng.uniform(1, 24))
    else:
        do(desk, "close", after=rng.uniform(1, 24))
        return
    if outcome == "reopened" and appeal.reporter_id:
        do(reporter, "reopen", note="问题又出现了", after=rng.uniform(2, 48))
