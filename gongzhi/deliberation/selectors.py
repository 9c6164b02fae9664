"""Reads of deliberation, each scoped by the user through the policy; and a vote's result, counted by tally.py from
its frozen roll and its ballots."""
import json
from fractions import Fraction

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from gongzhi.accounts.policy import can, get_or_404, scoped

from . import tally
from .capability import MEDIATION_VIEW, RESOLUTION_VIEW, TOPIC_VIEW, VOTE_MANAGE, VOTE_VIEW
from .models import (Ballot, DisputeType, Mediation, MediationStatus, Resolution, ResolutionStatus, RollEntry, Topic,
                     TopicStatus, Vote, VoteStatus)


def votes(user, *, status=""):
    qs = scoped(user, VOTE_VIEW, Vote.objects.select_related("compound"))
    if status in VoteStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-opens_at", "-pk")


def open_votes(user):
    now = timezone.now()
    return votes(user, status=VoteStatus.OPEN).filter(closes_at__gt=now)


def topics(user, *, status=""):
    qs = scoped(user, TOPIC_VIEW, Topic.objects.select_related("compound"))
    if status in TopicStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def resolutions(user, *, open_only=False):
    qs = scoped(user, RESOLUTION_VIEW, Resolution.objects.select_related("compound", "responsible_org",
                                                                        "responsible_user"))
    if open_only:
        qs = qs.exclude(status=ResolutionStatus.DONE)
    return qs.order_by("status", "due_on", "pk")


def my_units(user, vote):
    """The units of the vote's roll the user votes for, with their ballot's state (one head may own several)."""
    return list(RollEntry.objects.filter(vote=vote, voter_user=user).select_related("household")
                .order_by("household__address"))


def my_ballot(user, vote):
    heads = RollEntry.objects.filter(vote=vote, voter_user=user).values("head")
    return Ballot.objects.filter(vote=vote, head__in=heads).first()


def result_visible(user, vote):
    """A secret vote's figures stay hidden until it closes; an open vote's may be followed while it runs."""
    return vote.status == VoteStatus.CLOSED or (not vote.secret and vote.status == VoteStatus.OPEN)


def _ballots(vote):
    """{head: choices} of the vote's ballots. The choices come as JSON text decoded in one call: a JSONField decodes
    row by row, which for thousands of ballots cost more than the count itself."""
    rows = list(Ballot.objects.filter(vote=vote).annotate(raw=Cast("choices", TextField())).values_list("head", "raw"))
    decoded = json.loads("[" + ",".join(raw for _head, raw in rows) + "]")
    return {head: choices for (head, _raw), choices in zip(rows, decoded)}


def counted(vote):
    """The vote's tally (tally.AssemblyResult or ConsultationResult) from its roll and ballots."""
    items = list(vote.items.all())
    ballots = _ballots(vote)
    if vote.is_assembly:
        # The register's Decimals go to the tally as they are: it sums them as integer hundredths.
        units = [tally.Unit(hh, head, area, dev) for hh, head, area, dev in RollEntry.objects.filter(vote=vote)
                 .values_list("household_id", "head", "area", "developer_held")]
        return items, tally.assembly_result(units, ballots, [(str(i.pk), i.item_kind == "special") for i in items])
    eligible = set(RollEntry.objects.filter(vote=vote).values_list("head", flat=True))
    quorum = Fraction(vote.quorum_percent, 100) if vote.quorum_percent else None
    return items, tally.consultation_result(eligible, ballots, [str(i.pk) for i in items],
                                            majority=Fraction(vote.majority_numerator, vote.majority_denominator),
                                            strict=vote.majority_strict, quorum=quorum)


def result(vote):
    """The result as the page and the API show it: every figure as an exact fraction and a percentage, each test
    with its threshold, and whether each item passed. No one's ballot is in it."""
    items, r = counted(vote)
    text = {str(i.pk): i for i in items}
    if vote.is_assembly:
        out = {
            "kind": vote.vote_kind, "closed": vote.status == VoteStatus.CLOSED,
            "total_area": tally.area_text(r.total_area), "total_owners": r.total_heads,
            "participating_area": tally.area_text(r.participating_area), "participating_owners": r.participating_heads,
            "participation": [r.participation_area.as_dict(), r.participation_heads.as_dict()],
            "valid": r.valid,
            "items": [{"id": int(i.item), "text": text[i.item].text, "special": i.special,
                       "yes_area": tally.area_text(i.yes_area), "no_area": tally.area_text(i.no_area),
                       "abstain_area": tally.area_text(i.abstain_area), "yes_owners": i.yes_heads,
                       "no_owners": i.no_heads, "abstain_owners": i.abstain_heads,
                       "tests": [i.area_test.as_dict(), i.heads_test.as_dict()], "passed": i.passed}
                      for i in r.items],
        }
    else:
        out = {
            "kind": vote.vote_kind, "closed": vote.status == VoteStatus.CLOSED,
            "eligible_households": r.eligible, "participating_households": r.participating,
            "participation": [r.quorum_test.as_dict()] if r.quorum_test else [],
            "valid": r.valid,
            "items": [{"id": int(i.item), "text": text[i.item].text, "yes": i.yes, "no": i.no, "abstain": i.abstain,
                       "tests": [i.majority_test.as_dict()], "passed": i.passed} for i in r.items],
        }
    out["passed"] = bool(out["items"]) and all(i["passed"] for i in out["items"])
    return out


def may_manage(user, vote):
    return can(user, VOTE_MANAGE, vote)


def agenda(user):
    """Topics on the agenda of the compounds the user runs."""
    return topics(user).filter(Q(status=TopicStatus.AGENDA) | Q(status=TopicStatus.TO_VOTE))


def mediations(user, *, status="", dispute_type="", q=""):
    """The mediation records the user may read (the community's leadership, the assigned mediators), newest first.
    `q` finds a record by its number or by words of its summary; names are never searched (they are encrypted)."""
    qs = scoped(user, MEDIATION_VIEW, Mediation.objects.select_related("compound"))
    if status in MediationStatus.values:
        qs = qs.filter(status=status)
    if dispute_type in DisputeType.values:
        qs = qs.filter(dispute_type=dispute_type)
    q = (q or "").strip()[:50]
    if q:
        number = q.upper().removeprefix("TJ")
        qs = qs.filter(Q(summary__icontains=q) | Q(pk=int(number))) if number.isdigit() and len(number) < 10 \
            else qs.filter(summary__icontains=q)
    return qs.order_by("-created_at", "-pk")


def mediation(user, pk):
    """One record the user may read, with what its page shows; 404 otherwise."""
    return get_or_404(user, MEDIATION_VIEW, Mediation.objects.select_related("compound", "household")
                      .prefetch_related("parties", "mediators__user", "sessions__recorded_by"), pk=pk)


def mediation_to_act_on(user, pk, action):
    """The record, for a write the user may do to it; 404 otherwise. Only the row: the page's parties, mediators and
    sessions are read afterwards, once, for the answer."""
    return get_or_404(user, action, Mediation.objects.all(), pk=pk)
