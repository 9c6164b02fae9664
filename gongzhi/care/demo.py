"""Assistance in the Xincheng demo: the charity 兴宁市善小助学协会 and its staff account `charity1`, and a few
cases at different stages, all synthetic. One is shaped like the seed's story: a property company's party
member (property1) notices a family in hardship; the community (community_worker) verifies it, applies for
the minimum living allowance (approved after its public notice), sends a scholarship application to the
charity (waiting for charity1's decision) and the property company hires the mother as a cleaner.

Everything goes through the services, laid back from today; the timeline is muted (history tells nobody).
It reads the grid, the residents and the accounts from the database, with a random stream of its own (the
seed + 5). Home visits: a few residents with care tags in compound 1 were visited, others are due."""
import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.accounts.models import Role, RoleAssignment
from gongzhi.core import timeline
from gongzhi.core.demo import DEMO_PASSWORD
from gongzhi.grid.models import Compound
from gongzhi.orgs.models import Organisation, OrgKind
from gongzhi.people.models import Gender, Relation, Resident

from . import services
from .models import Case, CareVisit, Measure

CHARITY = "兴宁市善小助学协会"


def _back(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def _refer(user, household, note, days_ago):
    case = services.refer(user=user, household=household.pk, note=note)
    Case.objects.filter(pk=case.pk).update(referred_at=timezone.now() - datetime.timedelta(days=days_ago))
    return case


def _families(compound, rng):
    """Households of the compound with a mother and a child at home, in a stable order."""
    mothers = (Resident.objects.filter(household__building__compound=compound, gender=Gender.FEMALE,
                                       relation__in=(Relation.HEAD, Relation.SPOUSE))
               .filter(household__members__relation=Relation.CHILD).distinct().order_by("pk"))
    rows = list(mothers[:40])
    rng.shuffle(rows)
    return rows


def load_care(plan):
    rng = random.Random(plan.seed + 5)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(
        username__in=["community_worker", "grid_worker1", "grid_worker2", "property1"])}
    if len(users) < 4 or User.objects.filter(username="charity1").exists():
        return {"care_cases": 0}
    worker, grid1, grid2, prop = (users[k] for k in ("community_worker", "grid_worker1", "grid_worker2", "property1"))
    charity = Organisation.objects.create(kind=OrgKind.SOCIAL_ORG, code="SH-SX", name=CHARITY,
                                          phone="0753-3338899", description="为困难家庭学生提供助学金的公益组织（虚构）。")
    charity1 = User.objects.create_user(username="charity1", password=DEMO_PASSWORD, display_name="善小助学协会干事")
    RoleAssignment.objects.create(user=charity1, role=Role.PARTY_MEMBER, organisation=charity)
    compounds = list(Compound.objects.order_by("code")[:2])
    first = _families(compounds[0], rng)
    mothers = {m.household_id for m in first[:1]}
    # Other cases: any household with residents, the first of its members standing for it.
    heads = [r for r in Resident.objects.filter(household__building__compound__in=compounds).exclude(
        household_id__in=mothers).order_by("household_id", "pk").distinct() if r.household_id]
    by_home = {}
    for r in heads:
        by_home.setdefault(r.household_id, r)
    people = sorted(by_home.values(), key=lambda r: r.pk)
    rng.shuffle(people)
    in_first = [r for r in people if r.household.building.compound_id == compounds[0].pk]
    in_second = [r for r in people if r.household.building.compound_id == compounds[1].pk]
    first = first[:1] + in_first
    second = in_second
    with timeline.muted():
        # The seed's story.
        mother = first[0]
        home = mother.household
        child = home.members.filter(relation=Relation.CHILD).order_by("pk").first()
        case = _refer(prop, home, "物业巡查时发现这户家中男主人去年病故，母亲失业，孩子上初中，家里常常断电欠费。", 60)
        services.assign(user=worker, case=case, worker=worker.pk)
        services.assign(user=worker, case=case, worker=grid1.pk)
        services.verify(user=worker, case=case.pk, visited_on=_back(57), visited_with="网格员",
                        documents_seen="户口簿、死亡证明、失业登记证", decision="open", case_type="low_income",
                        findings="家庭无固定收入，靠亲戚接济；孩子学习成绩好。", health="母亲有腰椎间盘突出，不能干重活。",
                        finances="月收入不足600元，欠物业费和电费约4000元。", household_size=home.members.count(),
                        applicant=mother.pk)
        dibao = services.measure_add(user=worker, case=case.pk, kind="dibao", started_on=_back(55), title="城乡低保")
        services.measure_update(user=worker, measure=dibao.pk, dibao_stage="assessment", on=_back(45))
        services.measure_update(user=worker, measure=dibao.pk, dibao_stage="public_notice", on=_back(40),
                                notice_to=_back(33))
        services.measure_update(user=worker, measure=dibao.pk, dibao_stage="decision", on=_back(25),
                                outcome="approved", amount="780.00", note="民政部门审批通过")
        # The notice's address is random; the demo's is drawn from its own stream, so the data stays pinned.
        Measure.objects.filter(pk=dibao.pk).update(notice_code=f"{rng.getrandbits(64):016x}")
        services.measure_add(user=worker, case=case.pk, kind="scholarship", started_on=_back(20),
                             organisation=charity.pk, beneficiary_name=child.name if child else "",
                             title="初中助学金", application_note="孩子就读初二，品学兼优，家庭低保，申请本学期助学金。",
                             amount="1500", period="term")
        job = services.measure_add(user=worker, case=case.pk, kind="job", started_on=_back(30),
                                   title="小区保洁员", provider_name="君胜物业", owner=grid1.pk)
        services.measure_update(user=worker, measure=job.pk, outcome="done", ended_on=_back(28),
                                note="已入职君胜物业，月薪2300元")
        services.followup_record(user=grid1, case=case.pk, done_on=_back(27), note="母亲已上班，孩子正常上学。")
        # Waiting to be assigned: the grid worker of compound 2 noticed an elderly couple on a round.
        _refer(grid2, second[0].household, "走访时发现老两口独自生活，老伴卧床，家里冰箱是空的。", 2)
        # Being verified by the grid worker.
        verifying = _refer(grid1, first[1].household, "走访时得知家中孩子患白血病，治疗费用很高。", 6)
        services.assign(user=worker, case=verifying, worker=grid1.pk)
        # Verified, not eligible.
        refused = _refer(prop, first[2].household, "业主说最近手头紧，物业费拖欠三个月。", 40)
        services.assign(user=worker, case=refused, worker=grid1.pk)
        services.verify(user=grid1, case=refused.pk, visited_on=_back(38), findings="夫妻均有稳定工作，因装修短期周转困难。",
                        decision="not_eligible", reason="家庭收入高于低保标准，已告知可申请物业费分期。")
        # Open, its follow-up overdue: an illness, medical aid in progress.
        ill = _refer(grid2, second[1].household, "户主住院化疗，妻子照顾，无收入。", 50)
        services.assign(user=worker, case=ill, worker=grid2.pk)
        services.verify(user=grid2, case=ill.pk, visited_on=_back(48), decision="open", case_type="illness",
                        findings="户主胃癌术后化疗中。", health="胃癌术后", finances="医药费已花费12万元",
                        applicant=second[1].pk, household_size=second[1].household.members.count())
        services.measure_add(user=grid2, case=ill.pk, kind="medical", started_on=_back(45), title="大病医疗救助",
                             amount="20000", period="once")
        services.measure_add(user=grid2, case=ill.pk, kind="relief", started_on=_back(45), title="临时救助",
                             amount="2000", period="once")
        # Closed with a review.
        done = _refer(worker, first[3].household, "丈夫因工伤致残，一时失去收入。", 200)
        services.assign(user=worker, case=done, worker=worker.pk)
        services.verify(user=worker, case=done.pk, visited_on=_back(195), decision="open", case_type="disability",
                        findings="工伤认定中。", finances="工伤赔偿未到位", applicant=first[3].pk)
        relief = services.measure_add(user=worker, case=done.pk, kind="relief", started_on=_back(190),
                                      title="临时救助", amount="3000", period="once")
        services.measure_update(user=worker, measure=relief.pk, outcome="done", ended_on=_back(185))
        services.followup_record(user=worker, case=done.pk, done_on=_back(150), note="工伤赔偿已到位。")
        services.close(user=worker, case=done.pk, review="工伤赔偿到位，丈夫转岗复工，家庭收入恢复。")
        # Home visits: a few residents with care tags in compound 1 were visited lately.
        tagged = list(Resident.objects.filter(household__building__compound=compounds[0],
                                              tags__code__in=("elderly_alone", "empty_nest", "disabled", "left_behind_child"))
                      .distinct().order_by("pk")[:6])
        for i, person in enumerate(tagged[:3]):
            services.visit_record(user=grid1, resident=person.pk, visited_on=_back(2 + i * 3),
                                  note=rng.choice(["身体尚好，叮嘱按时服药。", "家中整洁，已检查燃气阀门。", "孩子作业已辅导。"]))
    return {"care_cases": Case.objects.count(), "care_visits": CareVisit.objects.count()}
