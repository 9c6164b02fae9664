"""Deliberation in 宁江新城一期 for the demo: every unit's owner on the register (the household's head where one
lives there; landlords from elsewhere for let units, some owning several, resident2 among them; the developer for
the unsold empty ones), two closed owners' votes on the maintenance fund (item 6 of art. 278), one failing the
participation test and one passing, a meeting with minutes that put the e-bike charging points to the owners and an
open vote on them resident1 and resident2 may still cast, a meeting to come in the station's discussion room, topics
at each stage and resolutions followed up. Everything goes through the services with the timeline muted; the past is laid back from
"now" (the digest test stops the clock); the random stream is its own (the seed + 5)."""
import datetime
import random

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from gongzhi.core import timeline
from gongzhi.grid.models import Household, Tenure
from gongzhi.orgs.models import Coverage, OrgKind
from gongzhi.people.models import Relation, Resident
from gongzhi.stations.models import Room

from . import services
from .models import Ballot, Vote

DEVELOPER_SHARE = 0.5  # of the empty units, how many the developer has not sold


def _owners(rng, compound, resident1, resident2):
    """{household: (name, resident or None, developer)} for every unit of the compound."""
    units = list(Household.objects.filter(building__compound=compound).order_by("building__code", "code"))
    heads = {r.household_id: r for r in Resident.objects.filter(household__in=units, relation=Relation.HEAD)}
    landlords = list(Resident.objects.filter(relation=Relation.HEAD).exclude(household__building__compound=compound)
                     .order_by("pk")[:400])
    out = {}
    for unit in units:
        head = heads.get(unit.pk)
        if unit.tenure == Tenure.VACANT and rng.random() < DEVELOPER_SHARE:
            out[unit.pk] = ("兴宁宁江置业有限公司", None, True)
        elif head is not None and unit.tenure == Tenure.OWNER:
            out[unit.pk] = (head.name, head, False)
        else:  # let, or bought and left empty: a landlord who lives elsewhere, now and then one with several units
            person = rng.choice(landlords[:120]) if rng.random() < 0.3 else rng.choice(landlords)
            out[unit.pk] = (person.name, person, False)
    home = resident1.resident.household_id
    out[home] = (resident1.resident.name, resident1.resident, False)
    landlord_units = [pk for pk, (_n, person, dev) in out.items() if not dev and pk != home and person is not None
                      and person.household.building.compound_id != compound.pk]
    others = [pk for pk in out if pk != home]
    if landlord_units or others:
        out[(landlord_units or others)[0]] = (resident2.resident.name, resident2.resident, False)
    return out


def _past_vote(rng, *, user, compound, title, item, days_ago, skip_every, refuse_every):
    """A closed owners' vote on one item-6 matter, its ballots cast during its period: every owner but each
    `skip_every`-th takes part, and every participant but each `refuse_every`-th agrees."""
    now = timezone.now()
    vote = services.vote_create(user=user, compound=compound.pk, title=title, opens_at=now - datetime.timedelta(hours=1),
                                closes_at=now + datetime.timedelta(days=1), items=[{"text": item, "item_kind": "special"}],
                                description="依据《民法典》第二百七十八条第一款第（六）项，由业主共同决定。")
    services.vote_open(user=user, vote=vote)
    item_id = str(vote.items.get().pk)
    roll = {}
    for household_id, head in vote.roll.order_by("household_id").values_list("household_id", "head"):
        roll.setdefault(head, household_id)
    for i, unit in enumerate(roll.values()):
        if i % skip_every != skip_every - 1:
            choice = rng.choice(("no", "abstain")) if i % refuse_every == refuse_every - 1 else "yes"
            services.ballot_enter(user=user, vote=vote, unit=unit, choices={item_id: choice})
    opened = now - datetime.timedelta(days=days_ago)
    closed = opened + datetime.timedelta(days=14)
    Vote.objects.filter(pk=vote.pk).update(opens_at=opened, closes_at=closed, created_at=opened)
    Ballot.objects.filter(vote=vote).update(cast_at=opened + datetime.timedelta(days=3),
                                            changed_at=opened + datetime.timedelta(days=3))
    services.vote_close(user=user, vote=vote)
    Vote.objects.filter(pk=vote.pk).update(closed_at=closed)
    return vote


def _mediations(compound, worker, grid_worker):
    """Four disputes at each stage of mediation: one agreed and to be followed up, one handed over to the
    sub-district, one just received, and one turned from a 邻里纠纷 appeal, agreed, followed up and closed."""
    from gongzhi.appeals.models import Appeal

    today = timezone.localdate()
    mediators = [worker.pk] + ([grid_worker.pk] if grid_worker else [])
    dog = services.mediation_open(user=worker, compound=compound.pk, dispute_type="noise",
                                  summary="邻居养狗夜间吠叫，协商无果", mediators=mediators,
                                  parties=[{"side": "applicant", "name": "周桂芳", "phone": "13912340001"},
                                           {"side": "respondent", "name": "郑海涛", "phone": "13912340007"}])
    services.mediation_session(user=worker, mediation=dog, held_on=today - datetime.timedelta(days=6),
                               attended="双方当事人、网格员、楼长", notes="双方陈述情况；养犬方同意夜间将狗留在室内。")
    services.mediation_agree(user=worker, mediation=dog, agreed_on=today - datetime.timedelta(days=6),
                             follow_up_on=today + datetime.timedelta(days=8),
                             agreement="养犬方晚10点后将犬只留在室内并加装隔音垫；双方互留联系方式，有问题先沟通。")
    fees = services.mediation_open(
        user=worker, compound=compound.pk, dispute_type="property_fees", mediators=mediators,
        summary="业主以车库渗水未修为由拒缴两年物业费，物业拟起诉",
        parties=[{"side": "applicant", "name": "欧阳建国", "phone": "13712340002"},
                 {"side": "respondent", "name": "君胜物业（项目经理）", "phone": "0753-2212345"}])
    services.mediation_session(user=worker, mediation=fees, held_on=today - datetime.timedelta(days=20),
                               attended="业主、物业项目经理、社区调解员", notes="物业同意先修渗水；业主要求减免，物业不同意。")
    services.mediation_session(user=worker, mediation=fees, held_on=today - datetime.timedelta(days=12),
                               attended="业主、物业项目经理", notes="减免比例分歧大，双方同意提交街道调委会。")
    services.mediation_hand_over(user=worker, mediation=fees, handed_to="subdistrict",
                                 reason="两次调解未能就减免比例达成一致，双方同意由街道人民调解委员会调解")
    services.mediation_open(user=worker, compound=compound.pk, dispute_type="parking", mediators=mediators,
                            summary="固定车位被他人长期占用",
                            parties=[{"side": "applicant", "name": "黄志强", "phone": "13612340003"},
                                     {"side": "respondent", "name": "林晓明", "phone": "13512340004"}])
    parties = [{"side": "applicant", "name": "陈美玲", "phone": "13812340005"},
               {"side": "respondent", "name": "吴国华", "phone": "13812340006"}]
    appeal = Appeal.objects.filter(compound=compound, category__code=services.DISPUTE_CATEGORY).order_by("pk").first()
    if appeal is not None:  # the desk turned the appeal into this record: linked both ways
        leak = services.mediation_from_appeal(user=worker, appeal=appeal, dispute_type="neighbours",
                                              mediators=mediators, parties=parties)
    else:
        leak = services.mediation_open(user=worker, compound=compound.pk, dispute_type="neighbours",
                                       mediators=mediators, summary="楼上漏水致楼下天花板受损，赔偿未谈拢",
                                       parties=parties)
    services.mediation_session(user=worker, mediation=leak, held_on=today - datetime.timedelta(days=40),
                               attended="双方当事人、物业维修工", notes="物业确认为楼上卫生间防水层老化。")
    services.mediation_agree(user=worker, mediation=leak, agreed_on=today - datetime.timedelta(days=40),
                             follow_up_on=today - datetime.timedelta(days=25),
                             agreement="楼上负责重做防水并赔偿楼下天花板修复费2000元，30日内完成。")
    services.mediation_follow_up(user=worker, mediation=leak, held_on=today - datetime.timedelta(days=24),
                                 notes="防水已重做，赔偿已付清，双方满意。", close=True)


def load_deliberation(plan):
    rng = random.Random(plan.seed + 5)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(
        username__in=["community_worker", "owners1", "resident1", "resident2", "member1"]).select_related("resident")}
    if len(users) < 5 or users["resident1"].resident is None or users["resident2"].resident is None:
        return {"deliberation_votes": 0}
    worker, owners1, resident1, resident2 = (users[n] for n in ("community_worker", "owners1", "resident1", "resident2"))
    compound = resident1.resident.household.building.compound
    if Vote.objects.filter(compound=compound).exists():
        return {"deliberation_votes": 0}
    property_co = (Coverage.objects.filter(compound=compound, organisation__kind=OrgKind.PROPERTY_COMPANY)
                   .select_related("organisation").first())
    now = timezone.now()
    with timeline.muted():
        for household, (name, person, developer) in _owners(rng, compound, resident1, resident2).items():
            services.ownership_record(user=worker, household=household, owner_name=name, owner_resident=person,
                                      developer_held=developer)
        _past_vote(rng, user=owners1, compound=compound, title="动用专项维修资金更换1栋电梯",
                   item="同意动用专项维修资金约48万元更换1栋两部电梯", days_ago=75, skip_every=2, refuse_every=5)
        passed = _past_vote(rng, user=owners1, compound=compound, title="动用专项维修资金维修屋面防水",
                            item="同意动用专项维修资金约12万元维修全部楼栋屋面防水", days_ago=40, skip_every=7,
                            refuse_every=10)
        topics = {}
        for title, body in (("增设电动车充电桩", "地下车库和非机动车棚没有充电桩，居民在楼道充电有火灾隐患。"),
                            ("楼道重新粉刷", "2栋、3栋楼道墙面脱落严重。"),
                            ("夜间关闭东门", "东门夜间无人值守，建议23点后关闭。"),
                            ("小区广场增设健身器材", "老人和孩子希望有更多活动设施。"),
                            ("禁止在草坪遛狗", "草坪多处被破坏。")):
            topics[title] = services.topic_raise(user=resident1, compound=compound.pk, title=title, body=body)
        for title in ("增设电动车充电桩", "楼道重新粉刷", "小区广场增设健身器材"):
            services.topic_support(user=owners1, topic=topics[title])
        held = services.meeting_schedule(
            user=owners1, compound=compound.pk, title="宁江新城一期党群议事会（充电桩）",
            starts_at=now - datetime.timedelta(days=5, hours=2), ends_at=now - datetime.timedelta(days=5),
            topics=[topics["增设电动车充电桩"].pk, topics["楼道重新粉刷"].pk], place_note="宁江新城一期二期党群驿站 议事厅",
            invitees="业委会、君胜物业、小区党支部、新城社区居委会")
        services.meeting_record(
            user=owners1, meeting=held, attendance="业委会委员3人、君胜物业2人、小区党支部书记、社区网格员、业主代表6人",
            attendees_count=13,
            minutes="一、充电桩：物业介绍非机动车棚改造方案，拟安装充电口60个，按度收费；业主代表关注消防和收费标准。\n"
                    "二、楼道粉刷：2栋、3栋墙面脱落，物业提出由公共收益列支。",
            decisions="1. 充电桩方案属改变共有部分用途并经营，提交业主大会表决。\n2. 楼道粉刷由物业在一个月内完成。",
            to_vote=[topics["增设电动车充电桩"].pk])
        upcoming = dict(user=owners1, compound=compound.pk, title="宁江新城一期党群议事会（健身器材）",
                        starts_at=now + datetime.timedelta(days=3, hours=1), ends_at=now + datetime.timedelta(days=3, hours=2),
                        topics=[topics["小区广场增设健身器材"].pk], invitees="业委会、君胜物业、小区党支部、新城社区居委会",
                        attendees=12)
        room = Room.objects.filter(station__name="宁江新城一期二期党群驿站", name="议事厅").first()
        try:  # in the station's discussion room when it is free then; elsewhere otherwise
            services.meeting_schedule(**upcoming, room=room.pk if room else None, place_note="" if room else "小区广场凉亭")
        except ValidationError:
            services.meeting_schedule(**upcoming, place_note="小区广场凉亭")
        services.topic_decide(user=owners1, topic=topics["楼道重新粉刷"], status="agenda")
        services.topic_decide(user=owners1, topic=topics["禁止在草坪遛狗"], status="declined",
                              outcome="属于文明养犬管理，由物业加强巡查，无需业主表决")
        services.vote_create(user=owners1, compound=compound.pk, title="增设电动车充电桩并由物业统一运营",
                             topic=topics["增设电动车充电桩"].pk, opens_at=now - datetime.timedelta(days=2),
                             closes_at=now + datetime.timedelta(days=12),
                             items=[{"text": "同意在非机动车棚增设充电桩，由物业统一收费运营", "item_kind": "special"},
                                    {"text": "同意续聘君胜物业至2027年底", "item_kind": "ordinary"}])
        open_vote = Vote.objects.filter(compound=compound, status="draft").get()
        services.vote_open(user=owners1, vote=open_vote)
        roof = services.resolution_create(user=owners1, compound=compound.pk, title="屋面防水维修工程",
                                          due_on=(now + datetime.timedelta(days=60)).date(), vote=passed,
                                          responsible_org=property_co.organisation if property_co else None,
                                          responsible_user=None if property_co else owners1)
        services.resolution_progress(user=owners1, resolution=roof, progress=40, note="已完成招标，1、2栋施工中")
        paint = services.resolution_create(user=owners1, compound=compound.pk, title="2栋、3栋楼道粉刷",
                                           due_on=(now - datetime.timedelta(days=5)).date(), responsible_user=owners1,
                                           topic=topics["楼道重新粉刷"].pk)
        services.resolution_progress(user=owners1, resolution=paint, progress=100, note="已粉刷完毕，业主验收通过")
        _mediations(compound, worker, User.objects.filter(username="grid_worker1").first())
    return {"deliberation_votes": Vote.objects.filter(compound=compound).count()}
