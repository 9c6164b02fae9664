"""The organisations' share of the Xincheng demo (gongzhi/core/demo.py): the offices, the party committee and
branches, the property companies, owners' committees and units, and their posts.

Plan: `plan.orgs` (dicts: key, kind, code, name, parent, coverage [("subdistrict"|"community"|"compound",
index)], address, phone, description) and `plan.memberships` (dicts: org, person_name, position,
term_start, term_end, resident (household index, member index) or None, user), holders drawn with
people's `plan.posts`. The demo accounts' own posts are the accounts' step's (`plan.staff_posts`).
Load: the organisations, their coverage and posts, and `plan.loaded.orgs` {key: Organisation}.
"""
from datetime import date

from gongzhi.core import reference
from gongzhi.grid.demo import node
from gongzhi.people.demo import resident as planned_resident

from .models import Coverage, Membership, Organisation

TERM_COMMITTEE = (date(2021, 6, 1), date(2026, 5, 31))
TERM_BRANCH = (date(2022, 3, 1), date(2027, 2, 28))
TERM_OWNERS = (date(2022, 5, 1), date(2027, 4, 30))


def post(plan, org_key, position, ref=None, term=(None, None), user=None, name=None):
    """A post in plan.memberships' form: held by a planned resident, by `name`, or by someone drawn here."""
    if ref is not None:
        name = planned_resident(plan, ref).name
    elif name is None:
        g = plan.rng.choice("MF")
        name = plan.rng.name(g, plan.rng.randint(1966, 1990))
    return {"org": org_key, "person_name": name, "position": position, "resident": ref,
            "term_start": term[0], "term_end": term[1], "user": user}


def plan_orgs(plan):
    compounds = plan.compounds
    orgs, members = [], []

    def org(key, kind, code, name, coverage, parent=None, address="", phone="", description=""):
        orgs.append({"key": key, "kind": kind, "code": code, "name": name, "parent": parent, "coverage": coverage,
                     "address": address, "phone": phone, "description": description})

    def member(org_key, position, ref=None, term=(None, None)):
        members.append(post(plan, org_key, position, ref, term))

    def resident(compounds=None, **kw):
        return plan.posts.pick(compounds, **kw)

    all_compounds = list(range(len(compounds)))
    sub, com = [("subdistrict", 0)], [("community", 0)]
    org("street_office", "subdistrict_office", "FX-JDB", "福兴街道办事处", sub,
        address="兴宁市福兴街道办事处大楼", phone="0753-3330001")
    member("street_office", "主任", term=(date(2021, 9, 1), None))
    member("street_office", "副主任", term=(date(2022, 1, 1), None))

    org("community_office", "community_office", "XC-JWH", "新城社区居委会", com,
        address="兴宁市福兴街道新城社区党群服务中心", phone="0753-3330020",
        description="新城社区居民委员会，2019年成立。")
    org("party_committee", "party_committee", "XC-DW", "新城社区党委", com, parent="street_office",
        address="兴宁市福兴街道新城社区党群服务中心", phone="0753-3330021",
        description="新城社区党委，统筹小区党支部、物业党支部和驻区单位党组织。")
    secretary = resident(all_compounds, age=(40, 58))
    member("party_committee", "书记", secretary, TERM_COMMITTEE)
    member("community_office", "主任", secretary, TERM_COMMITTEE)  # 书记、主任一肩挑
    member("party_committee", "副书记", resident(all_compounds, age=(35, 55)), TERM_COMMITTEE)
    member("community_office", "副主任", resident(all_compounds, age=(32, 55)), TERM_COMMITTEE)
    for _ in range(3):
        member("community_office", "委员", resident(all_compounds, age=(28, 58)), TERM_COMMITTEE)

    # Property companies: 君胜物业 serves compounds 1–3; its general manager sits on the party committee.
    org("junsheng", "property_company", "WY-JS", "君胜物业兴宁分公司", [("compound", 0), ("compound", 1), ("compound", 2)],
        address="宁江新城一期 1栋 架空层", phone="0753-3331188")
    manager = resident([0, 1, 2], age=(38, 56))
    member("junsheng", "总经理", manager, (date(2019, 7, 1), None))
    member("party_committee", "委员", manager, TERM_COMMITTEE)  # 交叉任职
    member("junsheng", "项目经理", resident([0, 1, 2], age=(30, 50)), (date(2020, 3, 1), None))
    org("junsheng_branch", "property_branch", "WY-JS-DZB", "君胜物业党支部",
        [("compound", 0), ("compound", 1), ("compound", 2)], parent="party_committee")
    member("junsheng_branch", "书记", resident([0, 1, 2], age=(35, 58)), TERM_BRANCH)
    member("junsheng_branch", "委员", resident([0, 1, 2], age=(28, 55)), TERM_BRANCH)
    member("junsheng_branch", "党员", resident([0, 1, 2], age=(25, 60)), TERM_BRANCH)
    org("anju", "property_company", "WY-AJ", "兴宁市安居物业管理有限公司",
        [("compound", 3), ("compound", 5), ("compound", 8)], phone="0753-3332266")
    member("anju", "经理", resident([3, 5, 8], age=(32, 55)), (date(2018, 5, 1), None))
    org("jincheng", "property_company", "WY-JC", "梅州锦程物业服务有限公司",
        [("compound", 4), ("compound", 6), ("compound", 7), ("compound", 9)], phone="0753-3335599")
    member("jincheng", "经理", resident([4, 6, 7, 9], age=(32, 55)), (date(2020, 8, 1), None))

    # Three compound party branches under the community party committee.
    for key, code, ci in (("branch_1", "XC-ZB1", 0), ("branch_2", "XC-ZB2", 1), ("branch_5", "XC-ZB5", 4)):
        org(key, "compound_branch", code, f"{compounds[ci]['name']}小区党支部", [("compound", ci)],
            parent="party_committee")
        member(key, "书记", resident([ci], age=(40, 68)), TERM_BRANCH)
        member(key, "委员", resident([ci], age=(30, 65)), TERM_BRANCH)
        for _ in range(3):
            member(key, "党员", resident([ci], age=(25, 75)), TERM_BRANCH)

    # Owners' committees, one compound each.
    for ci in (0, 1, 4, 6):
        key = f"owners_{ci + 1}"
        org(key, "owners_committee", f"YWH-{ci + 1:02d}", f"{compounds[ci]['name']}业主委员会", [("compound", ci)])
        member(key, "主任", resident([ci], age=(40, 68), owner=True), TERM_OWNERS)
        member(key, "副主任", resident([ci], age=(35, 65), owner=True), TERM_OWNERS)
        for _ in range(2):
            member(key, "委员", resident([ci], age=(30, 70), owner=True), TERM_OWNERS)

    org("school", "resident_unit", "DW-XX", "兴宁市新城实验学校", com, address="兴宁市福兴街道新城路", phone="0753-3336600",
        description="驻区单位，参与“双报到、双服务”。")
    member("school", "校长")
    org("school_branch", "unit_branch", "DW-XX-DZB", "兴宁市新城实验学校党支部", com, parent="school")
    member("school_branch", "书记", term=TERM_BRANCH)
    member("school_branch", "党员", resident(all_compounds, age=(26, 55)), TERM_BRANCH)
    org("charity", "social_org", "SH-ZX", "兴宁市助学公益协会", com, phone="0753-3337788",
        description="为困难家庭学生提供助学金的公益组织（虚构名称）。")
    member("charity", "会长")
    member("charity", "志愿者", resident(all_compounds, age=(20, 65)))
    org("enforcement", "gov_department", "ZF-CG", "福兴街道综合行政执法队", sub, parent="street_office", phone="0753-3330110")
    member("enforcement", "队长")
    org("police", "gov_department", "ZF-PCS", "兴宁市公安局福兴派出所", sub, phone="0753-3330111")
    member("police", "社区民警")

    plan.orgs, plan.memberships = orgs, members


def load_orgs(plan):
    orgs = {}
    for o in plan.orgs:
        orgs[o["key"]] = Organisation.objects.create(
            kind=o["kind"], code=o["code"], name=o["name"], parent=orgs.get(o["parent"]), address=o["address"],
            phone=o["phone"], description=o["description"])
    Coverage.objects.bulk_create([Coverage(organisation=orgs[o["key"]], **node(plan, ref)) for o in plan.orgs
                                  for ref in o["coverage"]])
    reference.bump()  # the coverage was written in bulk, which sends no signal
    plan.loaded.orgs = orgs
    write_posts(plan, plan.memberships)
    return {"organisations": len(orgs), "memberships": len(plan.memberships)}


def write_posts(plan, posts):
    resident_pk, users = plan.loaded.resident_pk, getattr(plan.loaded, "users", {})
    Membership.objects.bulk_create([
        Membership(organisation=plan.loaded.orgs[m["org"]], person_name=m["person_name"], position=m["position"],
                   term_start=m["term_start"], term_end=m["term_end"],
                   resident_id=resident_pk.get(m["resident"]) if m["resident"] else None,
                   user=users.get(m["user"]) if m["user"] else None)
        for m in posts])
