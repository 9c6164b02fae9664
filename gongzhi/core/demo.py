"""The Xincheng demo: a deterministic, synthetic community modelled on 兴宁市福兴街道新城社区.

Each app contributes its share (grid/demo.py, people/demo.py, …) as a step it registers in its
AppConfig.ready() with `register_demo`. This module knows no app: it keeps the registry, the runner and the
pure helpers every step may draw from.

A step has up to two parts, run in two passes so the data can be checked without a database:

* `plan(plan)` adds the step's share to the `Plan` as plain Python values, drawing from the one
  `plan.rng` (a `random.Random(seed)`). `build_plan(seed, scale)` runs every step's plan in order: same
  seed and scale, same plan. No global random, clock or uuid is used; ages are counted at the fixed
  `REFERENCE_DATE`.
* `load(plan)` writes the step's share, mostly with `bulk_create`, and returns counts for the command's
  summary. `load_plan(plan)` runs every step's load in order, in one transaction.

The order is explicit: a step names the steps it comes after (or before), and there must be exactly one
order; a step that could run in two places is refused, since two steps drawing from one random stream
in another order would give another demo. Rows written through `plan.loaded` (a namespace) are what later
steps link to.

A lower step may need a draw that only a higher app can make (a flat's occupants are people's business,
the flats the grid's): the higher app `provides` a named function, and the lower step calls it through
`provided(name)` at the point of the stream where that draw belongs.

All personal names are synthetic (surname + given-name characters); the names of the real people in the
source article are never produced.
"""
import random
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Callable

from django.db import transaction

from .identity import id_check_digit

DEFAULT_SEED = 20230316
DEMO_PASSWORD = "Gongzhi@2026"
REFERENCE_DATE = date(2026, 1, 1)  # ages, terms and birth dates are computed against this day

# Real people named in the seed article: never generated.
FORBIDDEN_NAMES = frozenset({"袁山", "何晓园", "米宗浩", "石春源", "何雪芬", "王丽莉", "谢女士"})

REGION_CODE = "441481"  # 广东省梅州市兴宁市

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


def age_at(birth, on=REFERENCE_DATE):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class DemoRandom(random.Random):
    """The demo's one random stream, with the draws for synthetic people: names, birth dates, ID numbers and
    mobile numbers, each ID number and number given out once."""

    def __init__(self, seed):
        super().__init__(seed)
        self.used_ids = set()
        self.used_phones = set()

    def surname(self):
        return self.choice(SURNAMES)

    def name(self, gender, birth_year, surname=None):
        generation = 0 if birth_year < 1965 else 1 if birth_year < 1990 else 2
        chars = GIVEN[(gender, generation)]
        surname = surname or self.surname()
        while True:
            given = self.choice(chars)
            if self.random() < 0.75:
                second = self.choice(chars + GIVEN[(gender, min(generation + 1, 2))])
                given += second if second != given else ""
            full = surname + given
            if full not in FORBIDDEN_NAMES:
                return full

    def birth_date(self, age):
        return REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age) - timedelta(days=self.randrange(365))

    def id_number(self, birth, gender):
        region = REGION_CODE if self.random() < 0.86 else self.choice(OTHER_REGIONS)
        while True:
            seq = self.randrange(100) * 10 + self.choice((1, 3, 5, 7, 9) if gender == "M" else (0, 2, 4, 6, 8))
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            if first17 not in self.used_ids:
                self.used_ids.add(first17)
                return first17 + id_check_digit(first17)

    def phone(self, age):
        """A mobile number, or "" for those who would not give one (children, some of the old)."""
        share = 0.0 if age < 12 else 0.3 if age < 16 else 0.6 if age >= 75 else 0.96
        if self.random() >= share:
            return ""
        return self.new_phone()

    def new_phone(self):
        while True:
            p = self.choice(MOBILE_PREFIXES) + f"{self.randrange(10 ** 8):08d}"
            if p not in self.used_phones:
                self.used_phones.add(p)
                return p

    def weighted(self, weights):
        """One key of {key: weight}."""
        keys = list(weights)
        return self.choices(keys, weights=[weights[k] for k in keys])[0]


class Plan:
    """What the seed gives: each step's `plan` adds its share as attributes (see the steps' modules)."""

    def __init__(self, seed, scale):
        self.seed = seed
        self.scale = scale
        self.rng = DemoRandom(seed)
        self.loaded = SimpleNamespace()  # the rows written so far, for the steps after


# --- the registry ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    name: str
    plan: Callable | None = None  # (plan) -> None; no database
    load: Callable | None = None  # (plan) -> {count name: number or list}
    after: tuple = ()
    before: tuple = ()
    present: Callable | None = None  # () -> bool: the step's data is in the database already


_steps = {}
_provided = {}


def _names(value):
    return (value,) if isinstance(value, str) else tuple(value)


def register_demo(name, *, plan=None, load=None, after=(), before=(), present=None, provides=None):
    """Add a step to the demo (from an AppConfig.ready()). `after`/`before`: names of steps this one must
    follow/precede. `provides`: {name: function} other steps may call through `provided(name)`."""
    step = Step(name, plan, load, _names(after), _names(before), present)
    if _steps.get(name, step) != step:
        raise ValueError(f"demo step {name!r} registered twice")
    _steps[name] = step
    for key, fn in (provides or {}).items():
        if _provided.get(key, fn) is not fn:
            raise ValueError(f"demo function {key!r} provided twice")
        _provided[key] = fn


def provided(name):
    """The function a step provides under `name`, or None when no installed app provides it."""
    return _provided.get(name)


def steps():
    """The registered steps in their one order; an order the declarations leave open is an error."""
    follows = {name: set(step.after) for name, step in _steps.items()}
    for name, step in _steps.items():
        for other in step.before:
            follows.setdefault(other, set()).add(name)
    missing = ({n for deps in follows.values() for n in deps} | set(follows)) - set(_steps)
    if missing:
        raise ValueError(f"demo steps named but not registered: {sorted(missing)}")
    order, done = [], set()
    while len(order) < len(_steps):
        ready = [n for n in _steps if n not in done and follows[n] <= done]
        if not ready:
            raise ValueError(f"demo steps in a cycle: {sorted(set(_steps) - done)}")
        if len(ready) > 1:
            raise ValueError(f"demo steps {sorted(ready)} have no order between them: declare after= or before=")
        order.append(_steps[ready[0]])
        done.add(ready[0])
    return order


# --- the runner --------------------------------------------------------------------------------

def build_plan(seed=DEFAULT_SEED, scale=1.0):
    """Everything the demo holds, computed from the seed alone."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    plan = Plan(seed, scale)
    for step in steps():
        if step.plan:
            step.plan(plan)
    return plan


def demo_present():
    return any(step.present() for step in steps() if step.present)


@transaction.atomic
def load_plan(plan):
    """Write the plan; all or nothing. Returns the steps' counts, added up by name."""
    counts = {}
    for step in steps():
        if step.load:
            for key, value in (step.load(plan) or {}).items():
                counts[key] = counts[key] + value if key in counts else value
    return counts


def load_demo(seed=DEFAULT_SEED, scale=1.0):
    return load_plan(build_plan(seed, scale))
