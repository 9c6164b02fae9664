"""The vote arithmetic against a deliberately simple second implementation, on random compounds, and on the
boundaries drawn by hand (exactly 2/3, exactly 3/4, exactly 1/2, ties) and the counting-by-head rules."""
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.deliberation import tally
from gongzhi.deliberation.tally import ABSTAIN, NO, YES, Unit


# ---- the second implementation: integer hundredths of a m², integer cross-multiplication, no shared code ----

def simple_assembly(units, ballots, items):
    """units: [(unit, owner, area_cents, developer)]; ballots: {head: {item: choice}}."""
    def head(owner, developer):
        return "developer" if developer else owner

    area = {}
    for _unit, owner, cents, developer in units:
        h = head(owner, developer)
        area[h] = area.get(h, 0) + cents
    total_area = sum(area.values())
    total_heads = len(area)
    voters = list(ballots)
    part_area = sum(area[h] for h in voters)
    part_heads = len(voters)
    valid = 3 * part_area >= 2 * total_area and 3 * part_heads >= 2 * total_heads and part_heads > 0
    passed = {}
    for item, special in items:
        yes_area = sum(area[h] for h in voters if ballots[h].get(item) == YES)
        yes_heads = sum(1 for h in voters if ballots[h].get(item) == YES)
        if special:
            ok = 4 * yes_area >= 3 * part_area and 4 * yes_heads >= 3 * part_heads
        else:
            ok = 2 * yes_area > part_area and 2 * yes_heads > part_heads
        passed[item] = valid and ok
    return valid, passed, part_area, part_heads, total_area, total_heads


@st.composite
def compounds(draw):
    n_owners = draw(st.integers(1, 8))
    owners = [f"o{i}" for i in range(n_owners)]
    n_units = draw(st.integers(1, 14))
    units = []
    for i in range(n_units):
        developer = draw(st.booleans()) and draw(st.booleans())
        units.append((f"u{i}", draw(st.sampled_from(owners)), draw(st.integers(1, 20000)), developer))
    heads = sorted({("developer" if d else o) for _u, o, _a, d in units})
    voters = draw(st.lists(st.sampled_from(heads), unique=True))
    items = [("i1", draw(st.booleans())), ("i2", draw(st.booleans()))]
    ballots = {h: {item: draw(st.sampled_from([YES, NO, ABSTAIN, None])) for item, _ in items} for h in voters}
    ballots = {h: {k: v for k, v in c.items() if v is not None} for h, c in ballots.items()}
    return units, ballots, items


def as_units(units, form=Fraction):
    """The units with their areas as the tally receives them: Fractions, or the register's Decimals."""
    if form is Decimal:
        return [Unit(u, o, Decimal(cents).scaleb(-2), d) for u, o, cents, d in units]
    return [Unit(u, o, Fraction(cents, 100), d) for u, o, cents, d in units]


@settings(max_examples=200, deadline=None)
@given(compounds(), st.sampled_from([Fraction(1, 3), Fraction(7, 9), Fraction(1), Fraction(100, 7)]))
def test_any_exact_areas_count_as_hundredths_do(case, factor):
    """Areas that are not whole hundredths (a surveyed area in thirds) take the tally's other way of summing:
    scaling every area by one factor scales the areas and leaves every verdict as it was."""
    units, ballots, items = case
    base = tally.assembly_result(as_units(units), ballots, items)
    scaled = tally.assembly_result([Unit(u, o, Fraction(c, 100) * factor, d) for u, o, c, d in units], ballots, items)
    assert scaled.total_area == base.total_area * factor
    assert scaled.participating_area == base.participating_area * factor
    assert scaled.valid == base.valid
    assert [(r.passed, r.yes_area) for r in scaled.items] == [(r.passed, r.yes_area * factor) for r in base.items]


@settings(max_examples=400, deadline=None)
@given(compounds(), st.sampled_from([Fraction, Decimal]))
def test_assembly_agrees_with_the_simple_count(case, form):
    units, ballots, items = case
    result = tally.assembly_result(as_units(units, form), ballots, items)
    valid, passed, part_area, part_heads, total_area, total_heads = simple_assembly(units, ballots, items)
    assert result.valid == valid
    assert {r.item: r.passed for r in result.items} == passed
    assert result.participating_area == Fraction(part_area, 100)
    assert result.total_area == Fraction(total_area, 100)
    assert (result.participating_heads, result.total_heads) == (part_heads, total_heads)
    for r in result.items:  # every participating owner is counted once, under one choice
        assert r.yes_heads + r.no_heads + r.abstain_heads == part_heads
        assert r.yes_area + r.no_area + r.abstain_area == result.participating_area


def simple_consultation(eligible, ballots, items, majority, strict, quorum):
    n = len(ballots)
    valid = quorum is None or n * quorum.denominator >= quorum.numerator * len(eligible)
    out = {}
    for item in items:
        yes = sum(1 for c in ballots.values() if c.get(item) == YES)
        lhs, rhs = yes * majority.denominator, majority.numerator * n
        out[item] = valid and n > 0 and (lhs > rhs if strict else lhs >= rhs)
    return valid, out


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 12), st.data())
def test_consultation_agrees_with_the_simple_count(n_households, data):
    eligible = list(range(n_households))
    voters = data.draw(st.lists(st.sampled_from(eligible), unique=True))
    ballots = {h: {"i": data.draw(st.sampled_from([YES, NO, ABSTAIN]))} for h in voters}
    majority = data.draw(st.sampled_from([Fraction(1, 2), Fraction(2, 3), Fraction(3, 5)]))
    strict = data.draw(st.booleans())
    quorum = data.draw(st.sampled_from([None, Fraction(1, 2), Fraction(2, 3)]))
    result = tally.consultation_result(eligible, ballots, ["i"], majority=majority, strict=strict, quorum=quorum)
    valid, passed = simple_consultation(eligible, ballots, ["i"], majority, strict, quorum)
    assert result.valid == valid
    assert {r.item: r.passed for r in result.items} == passed


# ---- boundaries by hand ----

def _units(areas):
    return [Unit(f"u{i}", f"o{i}", Fraction(a), False) for i, a in enumerate(areas)]


def test_participation_at_exactly_two_thirds_is_enough_and_just_below_is_not():
    units = _units([1, 1, 1])  # three owners, three m²
    exactly = tally.assembly_result(units, {"o0": {"i": YES}, "o1": {"i": YES}}, [("i", False)])
    assert exactly.participation_area.ratio == Fraction(2, 3) and exactly.valid
    below = tally.assembly_result(_units(["1", "1", "1.01"]), {"o0": {}, "o1": {}}, [("i", False)])
    assert not below.participation_area.passed and not below.valid
    assert below.participation_heads.passed  # two of three heads: the area alone fails it


def test_participation_needs_both_area_and_heads():
    # o0 holds 90 % of the area but is one head of three.
    units = _units([90, 5, 5])
    result = tally.assembly_result(units, {"o0": {"i": YES}}, [("i", False)])
    assert result.participation_area.passed and not result.participation_heads.passed
    assert not result.valid and not result.items[0].passed


def test_special_item_passes_at_exactly_three_quarters_of_area_and_heads():
    units = _units([1, 1, 1, 1])
    ballots = {"o0": {"i": YES}, "o1": {"i": YES}, "o2": {"i": YES}, "o3": {"i": NO}}
    result = tally.assembly_result(units, ballots, [("i", True)])
    assert result.items[0].area_test.ratio == Fraction(3, 4) and result.items[0].passed
    ballots["o2"] = {"i": ABSTAIN}  # an abstention is participation without consent
    assert not tally.assembly_result(units, ballots, [("i", True)]).items[0].passed


def test_ordinary_item_needs_more_than_half_a_tie_fails():
    units = _units([1, 1, 1, 1])
    tie = {"o0": {"i": YES}, "o1": {"i": YES}, "o2": {"i": NO}, "o3": {"i": NO}}
    result = tally.assembly_result(units, tie, [("i", False)])
    assert result.items[0].area_test.ratio == Fraction(1, 2) and not result.items[0].passed
    tie["o2"] = {"i": YES}
    assert tally.assembly_result(units, tie, [("i", False)]).items[0].passed


def test_more_than_half_of_area_but_half_of_heads_fails():
    units = _units([10, 1, 1, 1])
    ballots = {"o0": {"i": YES}, "o1": {"i": YES}, "o2": {"i": NO}, "o3": {"i": NO}}
    item = tally.assembly_result(units, ballots, [("i", False)]).items[0]
    assert item.area_test.passed and not item.heads_test.passed and not item.passed


def test_one_buyer_of_several_units_is_one_head_with_their_summed_area():
    units = [Unit("101", "li", Fraction(80), False), Unit("102", "li", Fraction(70), False),
             Unit("201", "wang", Fraction(100), False)]
    roll = tally.build_roll(units)
    assert roll.total_heads == 2 and roll.area_of["li"] == 150
    result = tally.assembly_result(units, {"li": {"i": YES}}, [("i", False)])
    assert result.participating_heads == 1 and result.participating_area == 150


def test_every_developer_unit_is_one_head_whoever_is_named_on_it():
    units = [Unit("101", "dev-co", Fraction(50), True), Unit("102", "dev-sub", Fraction(50), True),
             Unit("201", "wang", Fraction(100), False)]
    roll = tally.build_roll(units)
    assert roll.total_heads == 2 and roll.area_of[tally.DEVELOPER] == 100


def test_a_unit_without_area_stops_the_count_and_is_named():
    with pytest.raises(tally.TallyError) as err:
        tally.build_roll([Unit("101", "li", None, False), Unit("102", "wang", Fraction(3), False),
                          Unit("103", "zhao", Fraction(0), False)])
    assert err.value.problems == [("no_area", "101"), ("no_area", "103")]


def test_a_ballot_from_someone_not_on_the_roll_is_refused():
    with pytest.raises(tally.TallyError):
        tally.assembly_result(_units([1]), {"stranger": {"i": YES}}, [("i", False)])


def test_area_is_registered_else_surveyed_else_contract_and_never_a_float():
    assert tally.unit_area(Decimal("88.50"), Decimal("90"), Decimal("91")) == Fraction(177, 2)
    assert tally.unit_area(None, Decimal("90"), Decimal("91")) == 90
    assert tally.unit_area(None, None, "91.25") == Fraction(365, 4)
    assert tally.unit_area(None, None, None) is None
    with pytest.raises(TypeError):
        tally.unit_area(88.5)


def test_texts_show_exact_fractions_and_rounded_percentages():
    t = tally.Test("x", Fraction(2), Fraction(3), Fraction(2, 3), strict=False)
    d = t.as_dict()
    assert (d["ratio"], d["percent"], d["threshold"], d["comparison"], d["passed"]) == ("2/3", "66.67", "2/3", "≥", True)
    assert tally.percent_text(Fraction(1, 8)) == "12.50"
    assert tally.area_text(Fraction(12345, 100)) == "123.45"


def test_consultation_quorum_and_configurable_majority():
    ballots = {1: {"i": YES}, 2: {"i": YES}, 3: {"i": NO}}
    r = tally.consultation_result(range(1, 7), ballots, ["i"], majority=Fraction(2, 3), strict=False,
                                  quorum=Fraction(1, 2))
    assert r.valid and r.items[0].passed  # 3 of 6 is the quorum exactly; 2/3 yes is the majority exactly
    r = tally.consultation_result(range(1, 7), ballots, ["i"], majority=Fraction(2, 3), strict=True)
    assert not r.items[0].passed
    r = tally.consultation_result(range(1, 8), ballots, ["i"], quorum=Fraction(1, 2))
    assert not r.valid
