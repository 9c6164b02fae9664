"""Every read of activities, scoped by the user: what they may see, their own sign-ups with their place on the
waitlist, and for the keepers the roster."""
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gongzhi.accounts.policy import scoped

from .capability import ACTIVITY_MANAGE, ACTIVITY_VIEW
from .models import Activity, ActivitySignup, ActivityStatus, RoomReach, SignupStatus, STANDING

SHOWN = 50


def _waiting_count():
    return Count("signups", filter=Q(signups__status=SignupStatus.WAITING))


def visible(user):
    return (scoped(user, ACTIVITY_VIEW, Activity.objects.all()).select_related("station", "room")
            .annotate(waiting=_waiting_count()))


def managed(user):
    return scoped(user, ACTIVITY_MANAGE, Activity.objects.all())


def activity(user, pk):
    return visible(user).filter(pk=pk).first()


def upcoming(user, *, now=None, station_id=None):
    """Activities not yet over, soonest first; cancelled ones stay listed (marked) until their time is past."""
    now = now or timezone.now()
    qs = visible(user).filter(ends_at__gt=now)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    return qs.order_by("starts_at", "id")


def past(user, *, now=None, station_id=None):
    now = now or timezone.now()
    qs = visible(user).filter(ends_at__lte=now)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    return qs.order_by("-starts_at", "-id")


def open_to_sign_up(user, *, now=None):
    """Published activities not begun that the user has no standing sign-up to: what the home offers."""
    now = now or timezone.now()
    mine = ActivitySignup.objects.filter(person=user, status__in=STANDING).values("activity_id")
    return (visible(user).filter(status=ActivityStatus.PUBLISHED, starts_at__gt=now).exclude(pk__in=mine)
            .order_by("starts_at", "id"))


def with_position(signups):
    """Annotate each sign-up with `position`: its place on its activity's waitlist (1 is next), 0 when not
    waiting. One correlated count, so a list costs one query."""
    ahead = (ActivitySignup.objects.filter(activity_id=OuterRef("activity_id"), status=SignupStatus.WAITING,
                                           id__lt=OuterRef("id"))
             .order_by().values("activity_id").annotate(n=Count("id")).values("n"))
    return signups.annotate(ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)))


def position_of(signup):
    """The sign-up's place on the waitlist (1 is next), or 0 when it is not waiting."""
    if signup is None or signup.status != SignupStatus.WAITING:
        return 0
    return ActivitySignup.objects.filter(activity_id=signup.activity_id, status=SignupStatus.WAITING,
                                         id__lt=signup.pk).count() + 1


def place_of(signup):
    """`position` for a sign-up read through with_position()."""
    return signup.ahead + 1 if signup.status == SignupStatus.WAITING else 0


def my_signups(user, *, now=None, upcoming_only=True):
    """The user's standing sign-ups, soonest activity first, each with its waitlist place (`ahead`)."""
    now = now or timezone.now()
    qs = ActivitySignup.objects.filter(person=user, status__in=STANDING).select_related(
        "activity__station", "activity__room")
    if upcoming_only:
        qs = qs.filter(activity__ends_at__gt=now)
    return with_position(qs).order_by("activity__starts_at", "activity_id")


def my_signup(user, activity_id):
    """The user's standing sign-up to the activity, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return ActivitySignup.objects.filter(person=user, activity_id=activity_id, status__in=STANDING).first()


def roster(activity):
    """(confirmed sign-ups, waitlist), each in the order people signed up, with who they are."""
    rows = list(ActivitySignup.objects.filter(activity=activity, status__in=STANDING)
                .select_related("person").order_by("id"))
    return ([s for s in rows if s.status == SignupStatus.CONFIRMED],
            [s for s in rows if s.status == SignupStatus.WAITING])


def served_places(station):
    """The grid nodes a station serves: the places its rooms are open to, or else its own compound.
    [(level, id)], each once, in a stable order."""
    from gongzhi.grid.models import LEVELS

    out = []
    for ref in RoomReach.objects.filter(room__station=station).order_by("id"):
        node = (ref.node_level, ref.node_id)
        if node[0] in LEVELS and node not in out:
            out.append(node)
    return out or [("compound", station.compound_id)]
