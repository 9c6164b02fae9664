import datetime
from decimal import Decimal

import pytest

from gongzhi.core.workdays import LOCAL
from gongzhi.stations import services
from gongzhi.stations.models import Kind, Room, RoomReach, Status

T = datetime.time
ALL_DAY = [(d, T(0), T(0)) for d in range(7)]


@pytest.fixture
def make_station(cast):
    def make(name="暖锋驿站", kind=Kind.REST, status=Status.OPEN, lat="24.140", lng="115.730", hours=ALL_DAY,
             amenities=("seats", "water"), compound=None, **kw):
        return services.station_create(user=cast.community_worker, compound_id=(compound or cast.K1).pk, name=name,
                                       kind=kind, status=status, lat=Decimal(lat), lng=Decimal(lng), hours=hours,
                                       amenities=amenities, **kw)
    return make


@pytest.fixture
def chess_room(cast, make_station):
    station = make_station(name="宁江新城党群驿站", kind=Kind.PARTY, hours=[(d, T(8), T(22)) for d in range(7)])
    room = Room.objects.create(station=station, name="棋牌室", capacity=8, max_minutes=120, horizon_days=14)
    for k in (cast.K1, cast.K2):
        RoomReach.objects.create(room=room, compound=k)
    return room


def local(day, hour, minute=0):
    return datetime.datetime.combine(day, T(hour, minute), tzinfo=LOCAL)
