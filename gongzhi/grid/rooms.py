"""Where a flat is in its building, read from its room code (房号): unit (单元), floor and position on the floor.

Codes are what communities type: the demo's `1-1201` (unit 1, floor 12, flat 01) and `1201`, and in imports
`2单元301`, `1-12-01`, `3单元12层02室`, full-width digits… The last two digits of a run of three or four are the
flat on its floor, the digits before them the floor (`12-01` and `12层1` say them apart); a unit comes
first, before 单元 or a dash. Whatever says no floor or reads two ways (five digits such as `10101`, a basement
`B1-01`, a shop `商铺3`, `1-1201-1`, floor 0) is not placed: a table of floors × flats must not put a
household where it is not.
"""
import re
import unicodedata
from dataclasses import dataclass

MAX_UNIT = 99
_UNIT = re.compile(r"(?P<unit>\d{1,2})(?:单元|-)(?P<rest>.+)")
_FLAT_SPLIT = re.compile(r"(?P<floor>\d{1,2})(?:层|楼|-)(?P<position>\d{1,2})")
_FLAT_RUN = re.compile(r"(?P<run>\d{3,4})")
_SUFFIXES = ("室", "号", "房")


@dataclass(frozen=True, order=True)
class RoomPlace:
    unit: int | None   # None: the code names no unit (a building of one unit, as the demo writes them)
    floor: int
    position: int      # the flat's number on its floor: 01, 02 …

    @property
    def flat(self):
        """How a 楼盘表 cell names the flat: floor and position, 1201."""
        return f"{self.floor}{self.position:02d}"


def _normalise(code):
    text = unicodedata.normalize("NFKC", str(code or "")).strip()
    text = re.sub(r"\s+", "", text).replace("—", "-").replace("–", "-")
    for suffix in _SUFFIXES:
        text = text.removesuffix(suffix)
    return text


def _flat(text):
    m = _FLAT_SPLIT.fullmatch(text)
    if m:
        return int(m["floor"]), int(m["position"])
    m = _FLAT_RUN.fullmatch(text)
    if m:
        run = m["run"]
        return int(run[:-2]), int(run[-2:])
    return None


def parse_room_code(code):
    """The code's RoomPlace, or None when it does not say unambiguously where the flat is."""
    text = _normalise(code)
    unit = None
    m = _UNIT.fullmatch(text)
    if m and _flat(m["rest"]):
        unit, text = int(m["unit"]), m["rest"]
    flat = _flat(text)
    if flat is None:
        return None
    floor, position = flat
    if floor < 1 or position < 1 or (unit is not None and not 1 <= unit <= MAX_UNIT):
        return None
    return RoomPlace(unit=unit, floor=floor, position=position)
