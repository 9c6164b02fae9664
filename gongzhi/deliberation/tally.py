"""Vote arithmetic, pure: no database, no floats.

Owners' assembly votes follow Civil Code art. 278 and the SPC interpretation on building ownership arts. 8-9:

- a unit's area is its registered area, else its surveyed area, else the area in its sale contract;
- owners are counted by head: one owner per unit, several units of one buyer are one owner, and every unit the
  developer still holds is together one owner;
- the vote is valid when owners holding at least 2/3 of the exclusive area and at least 2/3 of the owners take part;
- items (6)-(8) of art. 278 (maintenance funds, rebuilding, changing the use of common parts or running business
  on them) pass with at least 3/4 of the participating area and of the participating owners, every other item with
  more than half of both.

"以上" in Chinese statutes includes the number itself, "过半数" does not: hence ≥ for 2/3 and 3/4, > for 1/2.

Consultations (征求意见) count one vote per household with a configurable majority and an optional quorum.

Every figure is a fractions.Fraction; a result carries each test's numerator, denominator and threshold so that a
page can show where every number comes from. Areas are summed as integers over one common denominator (hundredths
of a m² for every area a register holds) and each sum becomes a Fraction once: adding thousands of Fractions one by
one normalises each partial sum and is what made a 3,000-unit count slow.
"""
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

YES = "yes"
NO = "no"
ABSTAIN = "abstain"
CHOICES = (YES, NO, ABSTAIN)

DEVELOPER = "developer"  # the one head all developer-held units count as

PARTICIPATION = Fraction(2, 3)
SPECIAL_MAJORITY = Fraction(3, 4)
ORDINARY_MAJORITY = Fraction(1, 2)


class TallyError(ValueError):
    """The roll or the ballots cannot be counted as given; `problems` lists what is wrong, one line each."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def exact(value):
    """A Fraction from an int, a Decimal, a Fraction or a decimal string; never from a float (it would be inexact)."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("areas are exact: pass a Decimal, a Fraction or a string, not a float")
    return Fraction(value if not isinstance(value, Decimal) else str(value))


def unit_area(registered=None, surveyed=None, contract=None):
    """The area a unit counts with: the first of registered, surveyed and contract area that is known and positive."""
    for value in (registered, surveyed, contract):
        value = exact(value)
        if value is not None and value > 0:
            return value
    return None


@dataclass(frozen=True)
class Unit:
    """One exclusive unit (专有部分) on the roll: who owns it and its area (None: not known, the vote cannot open).
    The area is exact: a Fraction, a Decimal or an int (a Decimal is what the register holds)."""

    unit: object
    owner: object
    area: object
    developer: bool = False

    @property
    def head(self):
        return DEVELOPER if self.developer else self.owner


def _hundredths(value):
    """The value in hundredths as an int, or None when it is not a whole number of hundredths."""
    if isinstance(value, Decimal):
        sign, _digits, exponent = value.as_tuple()
        if isinstance(exponent, int) and exponent >= -2:
            return int(value.scaleb(2))
        value = exact(value)
    if isinstance(value, int):
        return value * 100
    value = exact(value)
    return value.numerator * (100 // value.denominator) if 100 % value.denominator == 0 else None


def _scaled(areas):
    """(scale, [area × scale as int]) for the areas: hundredths when every area is a whole number of them (always,
    from the register), else the least common denominator of all of them."""
    ints = [_hundredths(a) for a in areas]
    if None not in ints:
        return 100, ints
    fractions = [exact(a) for a in areas]
    scale = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    return scale, [f.numerator * (scale // f.denominator) for f in fractions]


@dataclass(frozen=True)
class Roll:
    """Owners by head, each with the units and the area they vote with (held as integers: area × scale)."""

    scaled_of: dict  # head -> int, the head's area × scale
    units_of: dict  # head -> tuple of unit keys
    scale: int = 1

    @cached_property
    def area_of(self):  # head -> Fraction
        return {head: Fraction(n, self.scale) for head, n in self.scaled_of.items()}

    @cached_property
    def scaled_total(self):
        return sum(self.scaled_of.values())

    @property
    def total_area(self):
        return Fraction(self.scaled_total, self.scale)

    @property
    def total_heads(self):
        return len(self.scaled_of)

    def head_of_unit(self):
        return {u: head for head, units in self.units_of.items() for u in units}


def build_roll(units):
    """Group the units by head, or raise TallyError naming every unit without an area and every unit listed twice."""
    problems = []
    seen = set()
    kept = []
    for u in units:
        if u.unit in seen:
            problems.append(("duplicate_unit", u.unit))
            continue
        seen.add(u.unit)
        if u.area is None or u.area <= 0:
            problems.append(("no_area", u.unit))
            continue
        kept.append(u)
    if problems:
        raise TallyError(problems)
    scale, ints = _scaled([u.area for u in kept])
    scaled_of, units_of = {}, {}
    for u, n in zip(kept, ints):
        head = u.head
        scaled_of[head] = scaled_of.get(head, 0) + n
        units_of.setdefault(head, []).append(u.unit)
    return Roll(scaled_of, {head: tuple(us) for head, us in units_of.items()}, scale)


@dataclass(frozen=True)
class Test:
    """One threshold test: part / whole compared with threshold (strictly when `strict`)."""

    key: str
    part: Fraction
    whole: Fraction
    threshold: Fraction
    strict: bool

    @property
    def ratio(self):
        return Fraction(self.part) / self.whole if self.whole else Fraction(0)

    @property
    def passed(self):
        if not self.whole:
            return False
        # Cross-multiplied so that no division rounds: part/whole ≥ t ⇔ part·den ≥ t.num·whole for whole > 0.
        lhs = self.part * self.threshold.denominator
        rhs = self.threshold.numerator * self.whole
        return lhs > rhs if self.strict else lhs >= rhs

    def as_dict(self):
        return {"key": self.key, "part": number_text(self.part), "whole": number_text(self.whole),
                "ratio": fraction_text(self.ratio), "percent": percent_text(self.ratio),
                "threshold": fraction_text(self.threshold), "threshold_percent": percent_text(self.threshold),
                "comparison": ">" if self.strict else "≥", "passed": self.passed}


@dataclass(frozen=True)
class ItemResult:
    item: object
    special: bool
    yes_area: Fraction
    no_area: Fraction
    abstain_area: Fraction
    yes_heads: int
    no_heads: int
    abstain_heads: int
    area_test: Test
    heads_test: Test
    valid: bool

    @property
    def passed(self):
        return self.valid and self.area_test.passed and self.heads_test.passed


@dataclass(frozen=True)
class AssemblyResult:
    total_area: Fraction
    total_heads: int
    participating_area: Fraction
    participating_heads: int
    participation_area: Test
    participation_heads: Test
    items: tuple = field(default_factory=tuple)

    @property
    def valid(self):
        return self.participation_area.passed and self.participation_heads.passed


def assembly_result(units, ballots, items):
    """Tally an owners' assembly vote (art. 278).

    units: Unit rows of the compound. ballots: {head: {item: choice}} (an item left out is an abstention).
    items: [(item key, special)] where special marks art. 278 items (6)-(8).
    """
    roll = build_roll(units)
    strangers = [head for head in ballots if head not in roll.scaled_of]
    if strangers:
        raise TallyError([("not_an_owner", h) for h in strangers])
    scaled_of, scale = roll.scaled_of, roll.scale
    part_area = Fraction(sum(scaled_of[h] for h in ballots), scale)
    part_heads = len(ballots)
    p_area = Test("participation_area", part_area, roll.total_area, PARTICIPATION, strict=False)
    p_heads = Test("participation_heads", Fraction(part_heads), Fraction(roll.total_heads), PARTICIPATION, strict=False)
    valid = p_area.passed and p_heads.passed
    out = []
    for item, special in items:
        sums = {c: [0, 0] for c in CHOICES}  # [area × scale, heads]
        for head, choices in ballots.items():
            choice = choices.get(item, ABSTAIN)
            try:
                total = sums[choice]
            except (KeyError, TypeError):
                raise TallyError([("bad_choice", head)]) from None
            total[0] += scaled_of[head]
            total[1] += 1
        areas = {c: Fraction(sums[c][0], scale) for c in CHOICES}
        threshold, strict = (SPECIAL_MAJORITY, False) if special else (ORDINARY_MAJORITY, True)
        out.append(ItemResult(
            item=item, special=special,
            yes_area=areas[YES], no_area=areas[NO], abstain_area=areas[ABSTAIN],
            yes_heads=sums[YES][1], no_heads=sums[NO][1], abstain_heads=sums[ABSTAIN][1],
            area_test=Test("pass_area", areas[YES], part_area, threshold, strict),
            heads_test=Test("pass_heads", Fraction(sums[YES][1]), Fraction(part_heads), threshold, strict),
            valid=valid,
        ))
    return AssemblyResult(roll.total_area, roll.total_heads, part_area, part_heads, p_area, p_heads, tuple(out))


@dataclass(frozen=True)
class ConsultationItemResult:
    item: object
    yes: int
    no: int
    abstain: int
    majority_test: Test
    valid: bool

    @property
    def passed(self):
        return self.valid and self.majority_test.passed


@dataclass(frozen=True)
class ConsultationResult:
    eligible: int
    participating: int
    quorum_test: Test | None
    items: tuple

    @property
    def valid(self):
        return self.quorum_test is None or self.quorum_test.passed


def consultation_result(eligible_households, ballots, items, *, majority=ORDINARY_MAJORITY, strict=True, quorum=None):
    """Tally a consultation: one vote per household, `majority` of the participating households (strictly more than
    it when `strict`), valid when at least `quorum` of the eligible households took part (no quorum: always valid).

    eligible_households: the households' keys. ballots: {household: {item: choice}}.
    """
    eligible = set(eligible_households)
    strangers = [h for h in ballots if h not in eligible]
    if strangers:
        raise TallyError([("not_a_household", h) for h in strangers])
    participating = len(ballots)
    quorum_test = None
    if quorum is not None:
        quorum_test = Test("quorum", Fraction(participating), Fraction(len(eligible)), Fraction(quorum), strict=False)
    valid = quorum_test is None or quorum_test.passed
    out = []
    for item in items:
        counts = {c: 0 for c in CHOICES}
        for household, choices in ballots.items():
            choice = choices.get(item, ABSTAIN)
            if choice not in counts:
                raise TallyError([("bad_choice", household)])
            counts[choice] += 1
        test = Test("majority", Fraction(counts[YES]), Fraction(participating), Fraction(majority), strict)
        out.append(ConsultationItemResult(item, counts[YES], counts[NO], counts[ABSTAIN], test, valid))
    return ConsultationResult(len(eligible), participating, quorum_test, tuple(out))


def fraction_text(value):
    value = Fraction(value)
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def number_text(value):
    """A count or an area as written: whole numbers plain, hundredths as decimals, anything else as a fraction."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    if 100 % value.denominator == 0:
        return area_text(value)
    return fraction_text(value)


def percent_text(value, places=2):
    """A percentage rounded half up to `places` decimals, for reading only: the tests compare the exact fractions."""
    value = Fraction(value) * 100
    scale = 10 ** places
    scaled = value * scale
    rounded = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)
    whole, frac = divmod(rounded, scale)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)


def area_text(value):
    """An area in m² to two decimals (areas are entered in hundredths, so this is exact for any sum of them)."""
    return percent_text(Fraction(value) / 100, 2)
