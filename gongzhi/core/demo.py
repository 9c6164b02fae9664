"""The Xincheng demo: a deterministic, synthetic community modelled on 兴宁市福兴街道新城社区.

Two steps, kept apart so the data can be checked without a database:

* `build_plan(seed, scale)` computes everything (grid, households, residents,
  tags, organisations, members, accounts) as plain Python values from one
  `random.Random(seed)`. Same seed and scale, same plan: names, ID numbers,
  phones, floor areas, polygons. No global random, clock or uuid is used;
  ages are counted at the fixed `REFERENCE_DATE`.
* `load_plan(plan)` writes it in one transaction with `bulk_create`.

All personal names are synthetic (surname + given-name characters); the
names of the real people in the source article are never produced.
"""
import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from . import reference
from .identity import id_check_digit

DEFAULT_SEED = 20230316
DEMO_PASSWORD = "Gongzhi@2026"
REFERENCE_DATE = date(2026, 1, 1)  # ages, terms and birth dates are computed against this day

# Real people named in the seed article: never generated.
FORBIDDEN_NAMES = frozenset({"袁山", "何晓园", "米宗浩", "石春源", "何雪芬", "王丽莉", "谢女士"})

SUBDISTRICT = {"code": "441481001", "name": "福兴街道"}
COMMUNITY = {"code": "441481001020", "name": "新城社区"}
REGION_CODE = "441481"  # 广东省梅州市兴宁市
CENTER_LAT, CENTER_LNG = 24.140, 115.730

# name, buildings, units per building, (first, last) residential floor, flats per floor and unit,
# typical flat areas (m²), position east/north of the centre (km), share of vacant flats
COMPOUNDS = [
    ("宁江新城一期", 8, 2, (2, 12), 2, (89, 108, 126), (-0.90, 0.30), 0.04),
    ("宁江新城二期", 8, 2, (2, 12), 2, (96, 118, 135), (-0.30, 0.35), 0.04),
    ("宁江新城三期", 6, 2, (2, 18), 2, (105, 128, 143), (0.30, 0.40), 0.06),
    ("江南明珠花园", 12, 1, (1, 7), 2, (72, 86, 98), (0.90, 0.30), 0.03),
    ("锦绣江南", 5, 2, (2, 18), 2, (99, 119, 139), (-0.90, -0.30), 0.05),
    ("福兴雅苑", 10, 1, (1, 8), 2, (65, 78, 92), (-0.30, -0.25), 0.03),
    ("南城御景湾", 4, 2, (3, 28), 2, (110, 132, 156), (0.30, -0.20), 0.10),
    ("滨江豪庭", 4, 1, (2, 31), 3, (118, 145, 172), (0.90, -0.30), 0.10),
    ("新城翠苑", 9, 1, (1, 7), 3, (62, 75, 88), (-0.60, -0.85), 0.03),
    ("宁江名都", 6, 2, (2, 16), 2, (92, 115, 128), (0.20, -0.80), 0.05),
]
TENANT_SHARE = 0.12

TAGS = [
    # code, name, English name, sensitive
    ("elderly_alone", "独居老人", "Elderly living alone", False),
    ("empty_nest", "空巢老人", "Empty-nest elderly", False),
    ("disabled", "残疾人", "Person with a disability", False),
    ("dibao", "低保户", "Minimum-allowance (dibao) household", True),
    ("extreme_poverty", "特困人员", "Person in extreme poverty", True),
    ("left_behind_child", "留守儿童", "Left-behind child", False),
    ("veteran", "退役军人", "Veteran", False),
    ("pregnant", "孕产妇", "Pregnant or postnatal woman", True),
]

# Surnames weighted towards those common in Xingning (Hakka country).
SURNAMES = ("罗" * 9 + "陈" * 8 + "刘" * 8 + "张" * 7 + "李" * 6 + "曾" * 6 + "黄" * 6 + "王" * 5 + "钟" * 5
            + "温" * 4 + "何" * 4 + "廖" * 4 + "叶" * 3 + "朱" * 3 + "彭" * 3 + "古" * 3 + "邓" * 3 + "吴" * 3
            + "林" * 3 + "杨" * 3 + "赖" * 3 + "丘" * 2 + "潘" * 2 + "胡" * 2 + "巫" * 2 + "肖" * 2 + "饶" * 2
            + "卢" * 2 + "蓝" * 2 + "徐" * 2 + "刁" + "江" + "宋" + "官" + "利" + "凌" + "周" + "邱")
GIVEN = {
    # (gender, generation): characters; generation 0 born before 1965, 1 before 1990, 2 after
    ("M", 0): "福贵荣华明德胜发昌国建强金元添庆兴茂松柏才有汉光祥",
    ("F", 0): "桂秀英兰芳珍娣妹凤玉梅菊琴月娥香莲招銮亮春群",
    ("M", 1): "伟军勇杰斌涛海志文辉锋波刚平东峰亮健锐鹏宏俊林",
    ("F", 1): "丽娟敏静燕红霞玲婷琳洁慧艳萍颖茹丹雯秋虹晶",
    ("M", 2): "梓浩宇轩睿博晨俊嘉皓铭宸泽瑞铖煜霖昊航彬",
    ("F", 2): "欣诗雨思嘉怡可琪妍萱涵梦悦婧彤瑶语心若晴",
}
MOBILE_PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182",
                   "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180",
                   "181", "189", "177", "199", "198", "166", "191")
# Birth places: mostly Xingning, some elsewhere in Meizhou and Guangdong.
OTHER_REGIONS = ("441402", "441403", "441422", "441423", "441424", "441426", "441427", "440106", "440307",
                 "445202", "441302")

# Household compositions: weights for owner-occupied and rented flats.
OWNER_KINDS = {"young_single": 5, "couple": 10, "nuclear_1": 22, "nuclear_2": 20, "nuclear_3": 5,
               "three_gen": 16, "elderly_couple": 9, "elderly_single": 5, "single_parent": 4,
               "grandparents": 4}
TENANT_KINDS = {"young_single": 30, "couple": 20, "nuclear_1": 25, "nuclear_2": 10, "shared": 15}


@dataclass
class PResident:
    name: str
    gender: str
    birth_date: date
    id_number: str
    phone: str
    relation: str
    tags: list = field(default_factory=list)

    @property
    def age(self):
        return age_at(self.birth_date)


@dataclass
class PHousehold:
    compound: int  # index into plan.compounds
    building: str  # building code
    code: str
    address: str
    floor_area: Decimal
    tenure: str
    members: list = field(default_factory=list)


@dataclass
class Plan:
    seed: int
    scale: float
    subdistrict: dict
    community: dict
    compounds: list  # dicts: code, name, center_lat, center_lng, boundary, buildings [(code, name)]
    households: list  # PHousehold
    tags: list  # (code, name, name_en, sensitive)
    orgs: list  # dicts: key, kind, code, name, parent, coverage [("subdistrict"|"community"|"compound", idx)], …
    memberships: list  # dicts: org, person_name, position, term_start, term_end, resident (ref), user
    accounts: list  # dicts: username, display_name, phone, role, scope, org, resident (ref), superuser

    @property
    def resident_count(self):
        return sum(len(h.members) for h in self.households)

    def resident(self, ref):
        return self.households[ref[0]].members[ref[1]]


def age_at(birth, on=REFERENCE_DATE):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class _Gen:
    """The plan builder; every random draw goes through self.rng, in a fixed order."""

    def __init__(self, seed, scale):
        self.rng = random.Random(seed)
        self.scale = scale
        self.used_ids = set()
        self.used_phones = set()

    # --- people -----------------------------------------------------------------
    def surname(self):
        return self.rng.choice(SURNAMES)

    def name(self, gender, birth_year, surname=None):
        generation = 0 if birth_year < 1965 else 1 if birth_year < 1990 else 2
        chars = GIVEN[(gender, generation)]
        surname = surname or self.surname()
        while True:
            given = self.rng.choice(chars)
            if self.rng.random() < 0.75:
                second = self.rng.choice(chars + GIVEN[(gender, min(generation + 1, 2))])
                given += second if second != given else ""
            full = surname + given
            if full not in FORBIDDEN_NAMES:
                return full

    def birth_date(self, age):
        return REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age) - timedelta(days=self.rng.randrange(365))

    def id_number(self, birth, gender):
        region = REGION_CODE if self.rng.random() < 0.86 else self.rng.choice(OTHER_REGIONS)
        while True:
            seq = self.rng.randrange(100) * 10 + self.rng.choice((1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8))
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + id_check_digit(first17)

    def phone(self, age):
        share = 0.0 if age < 12 else 0.3 if age < 16 else 0.6 if age >= 75 else 0.96
        if self.rng.random() >= share:
            return ""
        return self.new_phone()

    def new_phone(self):
        while True:
            p = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def person(self, relation, gender, age, surname=None):
        birth = self.birth_date(age)
        return PResident(name=self.name(gender, birth.year, surname), gender=gender, birth_date=birth,
                         id_number=self.id_number(birth, gender), phone=self.phone(age), relation=relation)

    # --- households ---------------------------------------------------------------
    def children(self, mother_age, count, surname, relation="child", max_age=None):
        out, age = [], mother_age - self.rng.randint(22, 34)
        for _ in range(count):
            if age < 0:
                break
            if max_age is not None:
                age = min(age, max_age)
            g = self.rng.choice("MF")
            out.append(self.person(relation, g, age, surname))
            age -= self.rng.randint(1, 5)
        return out

    def couple(self, age_lo, age_hi):
        """Head (mostly the husband) and spouse; returns (members, family surname, wife's age)."""
        age = self.rng.randint(age_lo, age_hi)
        other = max(18, age + self.rng.randint(-5, 3))
        surname = self.surname()
        if self.rng.random() < 0.8:
            head = self.person("head", "M", age, surname)
            spouse = self.person("spouse", "F", other)
            wife_age = other
        else:
            head = self.person("head", "F", other)
            spouse = self.person("spouse", "M", age, surname)
            wife_age = other
        return [head, spouse], surname, wife_age

    def family(self, kind):
        rng = self.rng
        if kind == "young_single":
            return [self.person("head", rng.choice("MF"), rng.randint(22, 38))]
        if kind == "shared":
            n = rng.randint(2, 3)
            return [self.person("head" if i == 0 else "tenant", rng.choice("MF"), rng.randint(20, 36)) for i in range(n)]
        if kind == "couple":
            members, _, wife_age = self.couple(24, 40)
            wife = next(m for m in members if m.gender == "F")
            if wife_age <= 38 and rng.random() < 0.15:
                wife.tags.append("pregnant")
            return members
        if kind.startswith("nuclear_"):
            n = int(kind[-1])
            members, surname, wife_age = self.couple(28 + 2 * n, 56)
            kids = self.children(wife_age, n, surname)
            wife = next(m for m in members if m.gender == "F")
            if n == 1 and wife_age <= 38 and kids and kids[-1].age >= 2 and rng.random() < 0.05:
                wife.tags.append("pregnant")
            return members + kids
        if kind == "three_gen":
            members, surname, wife_age = self.couple(30, 50)
            members += self.children(wife_age, rng.choice((1, 1, 2, 2, 3)), surname)
            head = members[0]
            parent_age = min(95, head.age + rng.randint(24, 34))
            if head.gender == "M":
                if rng.random() < 0.6:
                    members.append(self.person("parent", "M", parent_age, head.name[0]))
                members.append(self.person("parent", "F", max(parent_age - rng.randint(0, 4), head.age + 20)))
            else:
                members.append(self.person("parent", "F", parent_age))
            return members
        if kind == "elderly_couple":
            age = rng.randint(60, 86)
            surname = self.surname()
            members = [self.person("head", "M", age, surname),
                       self.person("spouse", "F", max(58, age - rng.randint(0, 5)))]
            for m in members:
                if m.age >= 60:
                    m.tags.append("empty_nest")
            return members
        if kind == "elderly_single":
            g = "F" if rng.random() < 0.65 else "M"
            head = self.person("head", g, rng.randint(66, 93))
            if head.age >= 70:
                head.tags.append("elderly_alone")
            if rng.random() < 0.06:
                head.tags.append("extreme_poverty")
            return [head]
        if kind == "single_parent":
            g = "F" if rng.random() < 0.75 else "M"
            age = rng.randint(30, 50)
            head = self.person("head", g, age)
            kids = self.children(age if g == "F" else age - 2, rng.randint(1, 3), self.surname() if g == "F" else head.name[0])
            return [head] + kids
        if kind == "grandparents":
            age = rng.randint(58, 75)
            surname = self.surname()
            members = [self.person("head", "M", age, surname),
                       self.person("spouse", "F", max(55, age - rng.randint(0, 4)))]
            for _ in range(rng.randint(1, 2)):
                child = self.person("grandchild", rng.choice("MF"), rng.randint(3, 15), surname)
                if child.age < 16:
                    child.tags.append("left_behind_child")
                members.append(child)
            return members
        raise ValueError(kind)

    def tag_people(self, kind, members):
        """Tags that fall on individuals regardless of the household's make-up."""
        rng = self.rng
        for m in members:
            if rng.random() < (0.03 if m.age >= 60 else 0.008):
                m.tags.append("disabled")
            if m.gender == "M" and 35 <= m.age <= 80 and rng.random() < 0.025:
                m.tags.append("veteran")
        poor = {"single_parent": 0.25, "elderly_single": 0.05}.get(kind, 0.008)
        if "extreme_poverty" not in members[0].tags and rng.random() < poor:
            for m in members:
                m.tags.append("dibao")

    # --- grid ---------------------------------------------------------------------
    def compound_geometry(self, east_km, north_km):
        km_lat = 1 / 111.0
        km_lng = 1 / (111.32 * math.cos(math.radians(CENTER_LAT)))
        east = east_km + self.rng.uniform(-0.05, 0.05)
        north = north_km + self.rng.uniform(-0.05, 0.05)
        lat, lng = CENTER_LAT + north * km_lat, CENTER_LNG + east * km_lng
        radius = self.rng.uniform(0.10, 0.15)
        n = self.rng.randint(6, 8)
        ring = []
        for i in range(n):  # counter-clockwise, as RFC 7946 wants for an exterior ring
            angle = 2 * math.pi * (i + self.rng.uniform(-0.2, 0.2)) / n
            r = radius * self.rng.uniform(0.85, 1.15)
            ring.append([round(lng + r * math.cos(angle) * km_lng, 6), round(lat + r * math.sin(angle) * km_lat, 6)])
        ring.append(list(ring[0]))
        return (Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}"), {"type": "Polygon", "coordinates": [ring]})

    def build(self):
        rng = self.rng
        compounds, households = [], []
        for ci, (name, n_buildings, n_units, (f_lo, f_hi), per_floor, types, (east, north), vacancy) in enumerate(COMPOUNDS):
            lat, lng, boundary = self.compound_geometry(east, north)
            buildings = [(str(b), f"{b}栋") for b in range(1, n_buildings + 1)]
            compounds.append({"code": f"XC{ci + 1:02d}", "name": name, "center_lat": lat, "center_lng": lng,
                              "boundary": boundary, "buildings": buildings})
            slots = []
            for b in range(1, n_buildings + 1):
                for u in range(1, n_units + 1):
                    for room in range(1, per_floor + 1):
                        area = Decimal(f"{rng.choice(types) * rng.uniform(0.97, 1.03):.2f}")
                        for floor in range(f_lo, f_hi + 1):
                            slots.append((b, u, floor, room, area))
            slots.sort(key=lambda s: s[:4])
            keep = len(slots) if self.scale >= 1 else max(2, round(len(slots) * self.scale))
            if keep < len(slots):
                slots = [slots[i] for i in sorted(rng.sample(range(len(slots)), keep))]
            for i, (b, u, floor, room, area) in enumerate(slots):
                flat = f"{floor}{room:02d}"
                if n_units > 1:
                    code, address = f"{u}-{floor:02d}{room:02d}", f"{name} {b}栋 {u}单元 {flat}"
                else:
                    code, address = flat, f"{name} {b}栋 {flat}"
                roll = rng.random()
                if i == 0:  # the first flat of every compound is a family at home: demo accounts live there
                    tenure, kind = "owner", rng.choice(("nuclear_1", "nuclear_2", "three_gen"))
                elif roll < vacancy:
                    tenure, kind = "vacant", None
                elif roll < vacancy + TENANT_SHARE:
                    tenure, kind = "tenant", self.weighted(TENANT_KINDS)
                else:
                    tenure, kind = "owner", self.weighted(OWNER_KINDS)
                hh = PHousehold(compound=ci, building=str(b), code=code, address=address, floor_area=area, tenure=tenure)
                if kind:
                    hh.members = self.family(kind)
                    self.tag_people(kind, hh.members)
                households.append(hh)
        return compounds, households

    def weighted(self, weights):
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]


# --- organisations, members and accounts -----------------------------------------------

TERM_COMMITTEE = (date(2021, 6, 1), date(2026, 5, 31))
TERM_BRANCH = (date(2022, 3, 1), date(2027, 2, 28))
TERM_OWNERS = (date(2022, 5, 1), date(2027, 4, 30))


class _People:
    """Picks demo residents for posts: adults of a compound, each used once unless asked."""

    def __init__(self, gen, households):
        self.gen = gen
        self.households = households
        self.taken = set()

    def pick(self, compounds=None, age=(28, 62), owner=False, exclude_heads_of=()):
        candidates = [
            (hi, mi) for hi, h in enumerate(self.households)
            if (compounds is None or h.compound in compounds) and (not owner or h.tenure == "owner")
            and hi not in exclude_heads_of
            for mi, m in enumerate(h.members)
            if age[0] <= m.age <= age[1] and (hi, mi) not in self.taken
        ]
        if not candidates:
            return None
        ref = self.gen.rng.choice(candidates)
        self.taken.add(ref)
        return ref


def _organisations(gen, compounds, households):
    rng = gen.rng
    people = _People(gen, households)
    # Households whose heads hold demo resident accounts are kept out of the posts.
    first_of = {}
    for hi, h in enumerate(households):
        first_of.setdefault(h.compound, hi)
    account_households = {first_of[0], first_of[1]}

    orgs, members = [], []

    def org(key, kind, code, name, coverage, parent=None, address="", phone="", description=""):
        orgs.append({"key": key, "kind": kind, "code": code, "name": name, "parent": parent, "coverage": coverage,
                     "address": address, "phone": phone, "description": description})

    def member(org_key, position, ref=None, term=(None, None), user=None, name=None):
        if ref is not None:
            person = households[ref[0]].members[ref[1]]
            name = person.name
        elif name is None:
            g = rng.choice("MF")
            name = gen.name(g, rng.randint(1966, 1990))
        members.append({"org": org_key, "person_name": name, "position": position, "resident": ref,
                        "term_start": term[0], "term_end": term[1], "user": user})
        return ref

    def resident(compounds=None, **kw):
        return people.pick(compounds, exclude_heads_of=account_households, **kw)

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

    # Demo accounts; staff get a mobile number so they can log in with it.
    accounts = []

    def account(username, display_name, role=None, scope=None, org_key=None, resident_ref=None, phone=None, superuser=False):
        if resident_ref is not None:
            person = households[resident_ref[0]].members[resident_ref[1]]
            display_name = person.name
            phone = person.phone or gen.new_phone()
        accounts.append({"username": username, "display_name": display_name, "role": role, "scope": scope,
                         "org": org_key, "resident": resident_ref, "phone": phone if phone is not None else gen.new_phone(),
                         "superuser": superuser})

    def staff_name():
        return gen.name(rng.choice("MF"), rng.randint(1975, 1998))

    account("admin", "系统管理员", superuser=True, phone="")
    account("street_admin", staff_name(), "subdistrict_admin", ("subdistrict", 0))
    member("street_office", "网格化管理员", user="street_admin", name=accounts[-1]["display_name"])
    account("community_worker", staff_name(), "community_worker", ("community", 0))
    member("community_office", "社区专职工作者", user="community_worker", name=accounts[-1]["display_name"])
    account("grid_worker1", staff_name(), "grid_worker", ("compound", 0))
    member("community_office", f"网格员（{compounds[0]['name']}）", user="grid_worker1", name=accounts[-1]["display_name"])
    account("grid_worker2", staff_name(), "grid_worker", ("compound", 1))
    member("community_office", f"网格员（{compounds[1]['name']}）", user="grid_worker2", name=accounts[-1]["display_name"])
    account("property1", staff_name(), "property_staff", org_key="junsheng")
    member("junsheng", "客服主管", user="property1", name=accounts[-1]["display_name"])
    owner_ref = resident([0], age=(30, 65), owner=True)
    account("owners1", staff_name(), "owners_committee", org_key="owners_1", resident_ref=owner_ref)
    member("owners_1", "委员", owner_ref, TERM_OWNERS, user="owners1", name=accounts[-1]["display_name"])
    member_ref = resident([0], age=(22, 65))
    account("member1", staff_name(), "party_member", org_key="party_committee", resident_ref=member_ref)
    member("branch_1", "党员/志愿者", member_ref, TERM_BRANCH, user="member1", name=accounts[-1]["display_name"])
    for username, ci in (("resident1", 0), ("resident2", 1)):
        hi = first_of[ci]
        account(username, "", "resident", ("household", hi), resident_ref=(hi, 0))
    account("rider1", staff_name(), "outdoor_worker")
    # Staff of the other two property companies, so their appeals have someone to handle them.
    account("property2", staff_name(), "property_staff", org_key="anju")
    member("anju", "客服专员", user="property2", name=accounts[-1]["display_name"])
    account("property3", staff_name(), "property_staff", org_key="jincheng")
    member("jincheng", "客服专员", user="property3", name=accounts[-1]["display_name"])
    return orgs, members, accounts


def build_plan(seed=DEFAULT_SEED, scale=1.0):
    """Everything the demo holds, computed from the seed alone."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    gen = _Gen(seed, scale)
    compounds, households = gen.build()
    orgs, memberships, accounts = _organisations(gen, compounds, households)
    return Plan(seed=seed, scale=scale, subdistrict=dict(SUBDISTRICT), community=dict(COMMUNITY),
                compounds=compounds, households=households, tags=list(TAGS), orgs=orgs,
                memberships=memberships, accounts=accounts)


def plan_fingerprint(plan):
    """A digest of the plan's people, flats and posts: equal plans, equal digests."""
    h = hashlib.sha256()
    for c in plan.compounds:
        h.update(f"{c['code']}|{c['name']}|{c['center_lat']}|{c['center_lng']}|{c['boundary']}\n".encode())
    for hh in plan.households:
        h.update(f"{hh.address}|{hh.code}|{hh.floor_area}|{hh.tenure}\n".encode())
        for m in hh.members:
            h.update(f"  {m.name}|{m.id_number}|{m.phone}|{m.relation}|{m.birth_date}|{sorted(m.tags)}\n".encode())
    for m in plan.memberships:
        h.update(f"{m['org']}|{m['person_name']}|{m['position']}|{m['resident']}\n".encode())
    for a in plan.accounts:
        h.update(f"{a['username']}|{a['display_name']}|{a['phone']}|{a['scope']}|{a['resident']}\n".encode())
    return h.hexdigest()


def db_fingerprint():
    """The same idea read back from the database (no primary keys, so it survives reloading)."""
    from gongzhi.grid.models import Compound, Household
    from gongzhi.orgs.models import Membership
    from gongzhi.people.models import Resident

    h = hashlib.sha256()
    for c in Compound.objects.order_by("code"):
        h.update(f"{c.code}|{c.name}|{c.center_lat}|{c.center_lng}|{c.boundary}\n".encode())
    for hh in Household.objects.select_related("building__compound").order_by("building__compound__code", "address"):
        h.update(f"{hh.address}|{hh.code}|{hh.floor_area}|{hh.tenure}\n".encode())
    residents = (Resident.objects.select_related("household").prefetch_related("tags")
                 .order_by("household__address", "id_number_masked", "name", "birth_date"))
    for r in residents:
        tags = sorted(t.code for t in r.tags.all())
        h.update(f"{r.household.address}|{r.name}|{r.id_number_masked}|{r.id_number_hash}|{r.phone_masked}|"
                 f"{r.relation}|{r.birth_date}|{r.gender}|{tags}\n".encode())
    for m in Membership.objects.select_related("organisation").order_by("organisation__code", "position", "person_name"):
        h.update(f"{m.organisation.code}|{m.person_name}|{m.position}|{m.term_start}|{m.term_end}\n".encode())
    return h.hexdigest()


# --- writing ------------------------------------------------------------------------------

BATCH = 1000


def demo_present():
    from gongzhi.grid.models import Subdistrict

    return Subdistrict.objects.exists()


@transaction.atomic
def load_plan(plan):
    """Write the plan; all or nothing. Returns counts (and the usernames skipped because they exist)."""
    from gongzhi.accounts.models import RoleAssignment, User
    from gongzhi.core.audit import audit
    from gongzhi.core.models import AuditAction
    from gongzhi.grid.models import Building, Community, Compound, Household, Subdistrict
    from gongzhi.orgs.models import Coverage, Membership, Organisation
    from gongzhi.people.models import Resident, Tag

    tags = {}
    existing_tags = {t.code: t for t in Tag.objects.filter(code__in=[t[0] for t in plan.tags])}
    for code, name, name_en, sensitive in plan.tags:
        tags[code] = existing_tags.get(code) or Tag.objects.create(code=code, name=name, name_en=name_en, sensitive=sensitive)

    sub = Subdistrict.objects.create(**plan.subdistrict)
    com = Community.objects.create(subdistrict=sub, **plan.community)
    Compound.objects.bulk_create([
        Compound(community=com, code=c["code"], name=c["name"], center_lat=c["center_lat"],
                 center_lng=c["center_lng"], boundary=c["boundary"]) for c in plan.compounds])
    by_code = {c.code: c for c in Compound.objects.filter(community=com)}
    compounds = [by_code[c["code"]] for c in plan.compounds]
    Building.objects.bulk_create([Building(compound=compounds[i], code=code, name=name)
                                  for i, c in enumerate(plan.compounds) for code, name in c["buildings"]])
    buildings = {(b.compound_id, b.code): b for b in Building.objects.filter(compound__community=com)}

    Household.objects.bulk_create([
        Household(building=buildings[(compounds[h.compound].pk, h.building)], code=h.code, address=h.address,
                  floor_area=h.floor_area, tenure=h.tenure) for h in plan.households], batch_size=BATCH)
    hh_ids = {(b_id, code): pk for pk, b_id, code in
              Household.objects.filter(building__compound__community=com).values_list("pk", "building_id", "code")}
    household_pk = [hh_ids[(buildings[(compounds[h.compound].pk, h.building)].pk, h.code)] for h in plan.households]

    rows = []
    for hi, h in enumerate(plan.households):
        for m in h.members:
            r = Resident(name=m.name, gender=m.gender, birth_date=m.birth_date, household_id=household_pk[hi],
                         relation=m.relation)
            r.set_id_number(m.id_number)
            if m.phone:
                r.set_phone(m.phone)
            rows.append(r)
    Resident.objects.bulk_create(rows, batch_size=BATCH)
    hashes = [r.id_number_hash for r in rows]
    pk_by_hash = dict(Resident.objects.filter(household__building__compound__community=com)
                      .values_list("id_number_hash", "pk"))
    resident_pk = {}
    through = Resident.tags.through
    links = []
    i = 0
    for hi, h in enumerate(plan.households):
        for mi, m in enumerate(h.members):
            pk = pk_by_hash[hashes[i]]
            resident_pk[(hi, mi)] = pk
            links += [through(resident_id=pk, tag_id=tags[code].pk) for code in dict.fromkeys(m.tags)]
            i += 1
    through.objects.bulk_create(links, batch_size=BATCH)

    def node(ref):
        level, idx = ref
        if level == "subdistrict":
            return {"subdistrict": sub}
        if level == "community":
            return {"community": com}
        if level == "compound":
            return {"compound": compounds[idx]}
        return {"household_id": household_pk[idx]}

    orgs = {}
    for o in plan.orgs:
        orgs[o["key"]] = Organisation.objects.create(
            kind=o["kind"], code=o["code"], name=o["name"], parent=orgs.get(o["parent"]), address=o["address"],
            phone=o["phone"], description=o["description"])
    Coverage.objects.bulk_create([Coverage(organisation=orgs[o["key"]], **node(ref)) for o in plan.orgs
                                  for ref in o["coverage"]])
    reference.bump()  # the compounds and coverage were written in bulk, which sends no signal

    users, skipped = {}, []
    taken_usernames = set(User.objects.filter(username__in=[a["username"] for a in plan.accounts])
                          .values_list("username", flat=True))
    for a in plan.accounts:
        if a["username"] in taken_usernames:
            skipped.append(a["username"])
            continue
        make = User.objects.create_superuser if a["superuser"] else User.objects.create_user
        u = make(username=a["username"], password=DEMO_PASSWORD, display_name=a["display_name"],
                 is_staff=a["superuser"], resident_id=resident_pk.get(a["resident"]) if a["resident"] else None)
        if a["phone"]:
            from gongzhi.core import crypto

            if not User.objects.filter(phone_hash=crypto.lookup_hash(a["phone"])).exists():
                u.set_phone(a["phone"])
                u.save(update_fields=["phone_enc", "phone_hash", "phone_masked"])
        users[a["username"]] = u
        if a["role"]:
            ra = RoleAssignment(user=u, role=a["role"], organisation=orgs.get(a["org"]) if a["org"] else None)
            if a["scope"]:
                for k, v in node(a["scope"]).items():
                    setattr(ra, k, v)
            ra.save()

    Membership.objects.bulk_create([
        Membership(organisation=orgs[m["org"]], person_name=m["person_name"], position=m["position"],
                   term_start=m["term_start"], term_end=m["term_end"],
                   resident_id=resident_pk.get(m["resident"]) if m["resident"] else None,
                   user=users.get(m["user"]) if m["user"] else None)
        for m in plan.memberships])

    from gongzhi.open311.services import ensure_demo_key  # the demo's Open311 key, demo-open311-key
    ensure_demo_key()
    counts = {"compounds": len(compounds), "buildings": len(buildings), "households": len(plan.households),
              "residents": len(rows), "tags": len(tags), "organisations": len(orgs),
              "memberships": len(plan.memberships), "users": len(users), "skipped_users": skipped}
    audit(AuditAction.IMPORT, object_type="grid.community", object_id=str(com.pk), object_repr=com.name,
          username="load_demo", detail=f"demo seed={plan.seed} scale={plan.scale} households={counts['households']} "
                                       f"residents={counts['residents']}")
    return counts


def load_demo(seed=DEFAULT_SEED, scale=1.0):
    from gongzhi.appeals import notify
    from gongzhi.appeals.demo import load_demo_appeals

    with transaction.atomic(), notify.muted():  # history tells nobody
        counts = load_plan(build_plan(seed, scale))
        counts["appeals"] = load_demo_appeals(seed, count=max(20, int(360 * scale)))
    return counts
