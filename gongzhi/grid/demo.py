"""The grid's share of the Xincheng demo (gongzhi/core/demo.py): 福兴街道 → 新城社区, ten compounds with their
buildings and flats.

Plan: `plan.subdistrict`, `plan.community` (dicts), `plan.compounds` (dicts: code, name, center_lat,
center_lng, boundary, buildings [(code, name)]) and `plan.households` (`PHousehold`). Who lives in a flat is
people's step (the `occupants` it provides), drawn here flat by flat: the random stream runs compound by
compound, flats and their families in turn.
Load: the rows, and `plan.loaded.subdistrict`, `.community`, `.compounds` (in plan order) and
`.household_pk` (by plan index) for the steps after.
"""
import math
from dataclasses import dataclass, field
from decimal import Decimal

from gongzhi.core import demo, reference
from gongzhi.core.audit import audit
from gongzhi.core.models import AuditAction

from .models import Building, Community, Compound, Household, Subdistrict

SUBDISTRICT = {"code": "441481001", "name": "福兴街道"}
COMMUNITY = {"code": "441481001020", "name": "新城社区"}
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
BATCH = 1000


@dataclass
class PHousehold:
    compound: int  # index into plan.compounds
    building: str  # building code
    code: str
    address: str
    floor_area: Decimal
    tenure: str
    members: list = field(default_factory=list)  # filled by the `occupants` step


def compound_geometry(rng, east_km, north_km):
    km_lat = 1 / 111.0
    km_lng = 1 / (111.32 * math.cos(math.radians(CENTER_LAT)))
    east = east_km + rng.uniform(-0.05, 0.05)
    north = north_km + rng.uniform(-0.05, 0.05)
    lat, lng = CENTER_LAT + north * km_lat, CENTER_LNG + east * km_lng
    radius = rng.uniform(0.10, 0.15)
    n = rng.randint(6, 8)
    ring = []
    for i in range(n):  # counter-clockwise, as RFC 7946 wants for an exterior ring
        angle = 2 * math.pi * (i + rng.uniform(-0.2, 0.2)) / n
        r = radius * rng.uniform(0.85, 1.15)
        ring.append([round(lng + r * math.cos(angle) * km_lng, 6), round(lat + r * math.sin(angle) * km_lat, 6)])
    ring.append(list(ring[0]))
    return (Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}"), {"type": "Polygon", "coordinates": [ring]})


def plan_grid(plan):
    rng = plan.rng
    occupy = demo.provided("occupants")
    compounds, households = [], []
    for ci, (name, n_buildings, n_units, (f_lo, f_hi), per_floor, types, (east, north), vacancy) in enumerate(COMPOUNDS):
        lat, lng, boundary = compound_geometry(rng, east, north)
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
        keep = len(slots) if plan.scale >= 1 else max(2, round(len(slots) * plan.scale))
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
                tenure = "owner"
            elif roll < vacancy:
                tenure = "vacant"
            elif roll < vacancy + TENANT_SHARE:
                tenure = "tenant"
            else:
                tenure = "owner"
            hh = PHousehold(compound=ci, building=str(b), code=code, address=address, floor_area=area, tenure=tenure)
            if tenure != "vacant" and occupy:
                occupy(plan, hh, first=i == 0)
            households.append(hh)
    plan.subdistrict, plan.community = dict(SUBDISTRICT), dict(COMMUNITY)
    plan.compounds, plan.households = compounds, households


def first_households(plan):
    """{compound index: index of its first household in plan.households}."""
    first = {}
    for hi, h in enumerate(plan.households):
        first.setdefault(h.compound, hi)
    return first


def node(plan, ref):
    """The grid node of a plan reference, ("compound", 3) …, as the keyword arguments of a scoped row."""
    level, idx = ref
    loaded = plan.loaded
    if level == "subdistrict":
        return {"subdistrict": loaded.subdistrict}
    if level == "community":
        return {"community": loaded.community}
    if level == "compound":
        return {"compound": loaded.compounds[idx]}
    return {"household_id": loaded.household_pk[idx]}


def load_grid(plan):
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
    reference.bump()  # the compounds were written in bulk, which sends no signal

    plan.loaded.subdistrict, plan.loaded.community, plan.loaded.compounds = sub, com, compounds
    plan.loaded.household_pk = household_pk
    residents = sum(len(h.members) for h in plan.households)
    # One entry for the whole demo, on the community it fills: made here, where the community is.
    audit(AuditAction.IMPORT, object_type="grid.community", object_id=str(com.pk), object_repr=com.name,
          username="load_demo", detail=f"demo seed={plan.seed} scale={plan.scale} households={len(plan.households)} "
                                       f"residents={residents}")
    return {"compounds": len(compounds), "buildings": len(buildings), "households": len(plan.households)}


def demo_present():
    return Subdistrict.objects.exists()
