"""People's share of the Xincheng demo (gongzhi/core/demo.py): the tags, and who lives in each flat.

Plan: the `occupants` this step provides fill each occupied flat of the grid's plan with a family
(`PResident`s in `household.members`), drawn flat by flat while the grid's step runs; then `plan.tags`,
`plan.resident_count` and `plan.posts`, the picker the organisations' and accounts' steps take post
holders from.
Load: the tags, the residents and their tags, and `plan.loaded.resident_pk` {(household index, member
index): id} for the steps after.
"""
from dataclasses import dataclass, field
from datetime import date

from gongzhi.core.demo import age_at

from .models import Resident, Tag

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

# Household compositions: weights for owner-occupied and rented flats.
OWNER_KINDS = {"young_single": 5, "couple": 10, "nuclear_1": 22, "nuclear_2": 20, "nuclear_3": 5,
               "three_gen": 16, "elderly_couple": 9, "elderly_single": 5, "single_parent": 4,
               "grandparents": 4}
TENANT_KINDS = {"young_single": 30, "couple": 20, "nuclear_1": 25, "nuclear_2": 10, "shared": 15}
FIRST_FLAT_KINDS = ("nuclear_1", "nuclear_2", "three_gen")  # a compound's first flat: a family at home
BATCH = 1000


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


class _Families:
    """Household make-ups; every draw from the demo's one stream, in a fixed order."""

    def __init__(self, rng):
        self.rng = rng

    def person(self, relation, gender, age, surname=None):
        birth = self.rng.birth_date(age)
        return PResident(name=self.rng.name(gender, birth.year, surname), gender=gender, birth_date=birth,
                         id_number=self.rng.id_number(birth, gender), phone=self.rng.phone(age), relation=relation)

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
        surname = self.rng.surname()
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
            return [self.person("head" if i == 0 else "tenant", rng.choice("MF"), rng.randint(20, 36))
                    for i in range(n)]
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
            surname = self.rng.surname()
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
            kids = self.children(age if g == "F" else age - 2, rng.randint(1, 3),
                                 rng.surname() if g == "F" else head.name[0])
            return [head] + kids
        if kind == "grandparents":
            age = rng.randint(58, 75)
            surname = self.rng.surname()
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


def occupants(plan, household, first=False):
    """Fill an occupied flat of the grid's plan with its family (provided to the grid's step)."""
    rng = plan.rng
    if first:
        kind = rng.choice(FIRST_FLAT_KINDS)
    else:
        kind = rng.weighted(TENANT_KINDS if household.tenure == "tenant" else OWNER_KINDS)
    families = _Families(rng)
    household.members = families.family(kind)
    families.tag_people(kind, household.members)


class PostPicker:
    """Picks demo residents for posts: adults of a compound, each used once, none from a reserved household."""

    def __init__(self, plan):
        self.plan = plan
        self.taken = set()
        self.reserved = set()  # household indexes

    def reserve(self, households):
        self.reserved.update(households)

    def pick(self, compounds=None, age=(28, 62), owner=False):
        """A (household index, member index) reference, or None when nobody fits."""
        candidates = [
            (hi, mi) for hi, h in enumerate(self.plan.households)
            if (compounds is None or h.compound in compounds) and (not owner or h.tenure == "owner")
            and hi not in self.reserved
            for mi, m in enumerate(h.members)
            if age[0] <= m.age <= age[1] and (hi, mi) not in self.taken
        ]
        if not candidates:
            return None
        ref = self.plan.rng.choice(candidates)
        self.taken.add(ref)
        return ref


def resident(plan, ref):
    """The planned resident of a (household index, member index) reference."""
    return plan.households[ref[0]].members[ref[1]]


def plan_people(plan):
    plan.tags = list(TAGS)
    plan.resident_count = sum(len(h.members) for h in plan.households)
    plan.posts = PostPicker(plan)


def load_people(plan):
    tags = {}
    existing_tags = {t.code: t for t in Tag.objects.filter(code__in=[t[0] for t in plan.tags])}
    for code, name, name_en, sensitive in plan.tags:
        tags[code] = existing_tags.get(code) or Tag.objects.create(code=code, name=name, name_en=name_en,
                                                                   sensitive=sensitive)
    household_pk = plan.loaded.household_pk
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
    pk_by_hash = dict(Resident.objects.filter(household__building__compound__community=plan.loaded.community)
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
    plan.loaded.resident_pk = resident_pk
    return {"residents": len(rows), "tags": len(tags)}
