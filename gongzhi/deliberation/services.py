"""Writes of deliberation: each keyword-only, atomic, checked against the policy, audited, and written to the
timeline in the same transaction. Bad input raises ValidationError ({field: [message]}) before anything is
written; a record someone else changed first raises Conflict; a record out of the user's reach, 404."""
import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gongzhi.accounts.policy import can, require
from gongzhi.core import crypto, timeline
from gongzhi.core.audit import SENSITIVE, audit
from gongzhi.core.errors import Conflict as CoreConflict
from gongzhi.core.models import AuditAction
from gongzhi.grid.models import Compound, Household
from gongzhi.orgs.models import Organisation

from . import tally
from .capability import (BALLOT_CAST, MEETING_MANAGE, OWNERSHIP_EDIT, RESOLUTION_MANAGE, RESOLUTION_REPORT, TOPIC_MANAGE,
                         TOPIC_RAISE, TOPIC_SUPPORT, VOTE_MANAGE, VOTE_VIEW)
from .models import (Ballot, Channel, DeliberationEvent, ItemKind, Meeting, MeetingStatus, Ownership, Resolution, ResolutionStatus,
                     RollEntry, Topic, TopicStatus, TopicSupport, Vote, VoteItem, VoteKind, VoteStatus)

TITLE_MAX = 80
TEXT_MAX = 2000
MAX_ITEMS = 20
MAX_PERIOD_DAYS = 90


class Conflict(CoreConflict):
    """Someone changed the record first: nothing was written."""


def _event(**kw):
    event = DeliberationEvent.objects.create(notify_pending=timeline.wanted(), **kw)
    timeline.written(event)
    return event


def _locked(model, pk):
    obj = model.objects.select_for_update().filter(pk=getattr(pk, "pk", pk)).first()
    if obj is None:
        raise Http404
    return obj


def _check(obj, version):
    if version not in (None, "") and str(version) != str(obj.version):
        raise Conflict(_("该记录已被他人修改，请刷新后重试。"))


# ---- input -------------------------------------------------------------------------------------------------

def _text(errors, field, value, *, label, required=True, limit=TEXT_MAX):
    value = str(value or "").strip()
    if required and not value:
        errors[field] = [_("请填写%(label)s") % {"label": label}]
    elif len(value) > limit:
        errors[field] = [_("%(label)s不能超过%(n)s个字") % {"label": label, "n": limit}]
    return value


def _moment(errors, field, value, label):
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value or "").strip().replace(" ", "T"))
    if moment is None:
        errors[field] = [_("请填写有效的%(label)s（年-月-日 时:分）") % {"label": label}]
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _area(errors, field, value, label):
    if value in (None, ""):
        return None
    try:
        area = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        area = None
    if area is None or not area.is_finite() or area <= 0 or area >= Decimal("1000000") \
            or area != area.quantize(Decimal("0.01")):
        errors[field] = [_("%(label)s应为大于0的数字，最多两位小数（m²）") % {"label": label}]
        return None
    return area


def _compound(errors, value):
    compound = Compound.objects.filter(pk=value).first() if str(value or "").isdigit() else None
    if compound is None:
        errors["compound"] = [_("请选择小区")]
    return compound


def may_in_compound(user, action, model, compound):
    """Whether the user may act on the compound's records of `model` (raise a topic there, support one)."""
    return can(user, action, model(compound=compound))


# ---- the ownership register ----------------------------------------------------------------------------------

@transaction.atomic
def ownership_record(*, user, household, owner_name, owner_resident=None, owner_user=None, developer_held=False,
                     surveyed_area=None, contract_area=None, request=None):
    """Record (or replace) who owns a unit and its surveyed and contract areas."""
    errors = {}
    unit = Household.objects.select_related("building").filter(pk=getattr(household, "pk", household)).first()
    if unit is None:
        raise Http404
    owner_name = _text(errors, "owner_name", owner_name, label=_("业主姓名"), limit=60)
    surveyed = _area(errors, "surveyed_area", surveyed_area, _("实测面积"))
    contract = _area(errors, "contract_area", contract_area, _("合同面积"))
    if not developer_held and owner_resident is None and owner_user is None:
        errors["owner_resident"] = [_("请关联业主的居民档案或账号（按人数计算时据此识别同一业主）")]
    row = Ownership.objects.select_for_update().filter(household=unit).first() or Ownership(household=unit)
    row.compound_id, row.building_id = unit.building.compound_id, unit.building_id
    require(user, OWNERSHIP_EDIT, row)
    if errors:
        raise ValidationError(errors)
    before = {"owner": row.owner_name, "developer_held": row.developer_held} if row.pk else None
    row.owner_name, row.owner_resident, row.owner_user = owner_name, owner_resident, owner_user
    row.developer_held, row.surveyed_area, row.contract_area = bool(developer_held), surveyed, contract
    row.save()
    audit(AuditAction.UPDATE if before else AuditAction.CREATE, user=user, obj=row, request=request,
          detail="register",
          changes={"owner": [before and before["owner"], owner_name],
                   "developer_held": [before and before["developer_held"], row.developer_held]})
    return row


def roll_problems(compound):
    """What stops an owners' vote in the compound from opening: each unit without a recorded owner, without an
    identified owner or without any area, by address."""
    owned = {o.household_id: o for o in Ownership.objects.filter(compound=compound)}
    problems = []
    for unit in Household.objects.filter(building__compound=compound).order_by("building__code", "code"):
        row = owned.get(unit.pk)
        if row is None:
            problems.append(_("%(unit)s：未登记业主") % {"unit": unit.address})
            continue
        if row.head is None:
            problems.append(_("%(unit)s：业主未关联居民档案或账号") % {"unit": unit.address})
        if tally.unit_area(unit.floor_area, row.surveyed_area, row.contract_area) is None:
            problems.append(_("%(unit)s：无登记、实测或合同面积") % {"unit": unit.address})
    return problems


def _assembly_roll(vote):
    rows = []
    users_of_resident = _accounts_of_residents(vote.compound)
    for o in Ownership.objects.filter(compound=vote.compound).select_related("household"):
        area = tally.unit_area(o.household.floor_area, o.surveyed_area, o.contract_area)
        voter = o.owner_user_id or users_of_resident.get(o.owner_resident_id)
        rows.append(RollEntry(vote=vote, household_id=o.household_id, head=o.head, owner_name=o.owner_name,
                              voter_user_id=voter, developer_held=o.developer_held,
                              area=Decimal(area.numerator) / Decimal(area.denominator)))
    return rows


def _accounts_of_residents(compound):
    from gongzhi.accounts.models import User

    return dict(User.objects.filter(resident__isnull=False, is_active=True)
                .filter(resident__in=Ownership.objects.filter(compound=compound).values("owner_resident"))
                .values_list("resident_id", "pk"))


def _consultation_roll(vote):
    from gongzhi.accounts.models import Role, RoleAssignment

    voters = {}
    for household_id, user_id in (RoleAssignment.objects
                                  .filter(role=Role.RESIDENT, household__building__compound=vote.compound,
                                          user__is_active=True)
                                  .values_list("household_id", "user_id")):
        voters.setdefault(household_id, []).append(user_id)
    rows = []
    for unit in Household.objects.filter(building__compound=vote.compound).only("pk"):
        for user_id in voters.get(unit.pk) or [None]:  # a household without an account votes on paper
            rows.append(RollEntry(vote=vote, household_id=unit.pk, head=f"h{unit.pk}", voter_user_id=user_id))
    return rows


# ---- votes -------------------------------------------------------------------------------------------------

def _items(errors, items):
    out = []
    for position, item in enumerate(items or (), start=1):
        text, kind = (item.get("text"), item.get("item_kind", ItemKind.ORDINARY)) if isinstance(item, dict) \
            else (item[0], item[1])
        text = str(text or "").strip()
        if not text:
            continue
        if len(text) > 200:
            errors["items"] = [_("每个表决事项不能超过200个字")]
        if kind not in ItemKind.values:
            errors["items"] = [_("请为每个表决事项选择类别")]
        out.append((position, text, kind))
    if not out:
        errors["items"] = [_("请至少填写一个表决事项")]
    elif len(out) > MAX_ITEMS:
        errors["items"] = [_("表决事项不能超过%(n)s个") % {"n": MAX_ITEMS}]
    return out


@transaction.atomic
def vote_create(*, user, compound, title, opens_at, closes_at, items, vote_kind=VoteKind.ASSEMBLY, description="",
                secret=False, changeable=True, majority_numerator=1, majority_denominator=2, majority_strict=True,
                quorum_percent=None, topic=None, request=None):
    errors = {}
    title = _text(errors, "title", title, label=_("标题"), limit=TITLE_MAX)
    description = _text(errors, "description", description, label=_("说明"), required=False)
    place = _compound(errors, compound)
    if vote_kind not in VoteKind.values:
        errors["vote_kind"] = [_("请选择表决类型")]
    start = _moment(errors, "opens_at", opens_at, _("开始时间"))
    end = _moment(errors, "closes_at", closes_at, _("截止时间"))
    if start and end:
        if end <= start:
            errors["closes_at"] = [_("截止时间应晚于开始时间")]
        elif end - start > datetime.timedelta(days=MAX_PERIOD_DAYS):
            errors["closes_at"] = [_("投票期不能超过%(n)s天") % {"n": MAX_PERIOD_DAYS}]
    rows = _items(errors, items)
    try:
        num, den = int(majority_numerator), int(majority_denominator)
        if not (0 < num < den <= 100):
            raise ValueError
    except (TypeError, ValueError):
        errors["majority_numerator"] = [_("多数比例应为小于1的分数，如 1/2、2/3")]
        num, den = 1, 2
    quorum = None
    if quorum_percent not in (None, ""):
        try:
            quorum = int(quorum_percent)
            if not 1 <= quorum <= 100:
                raise ValueError
        except (TypeError, ValueError):
            errors["quorum_percent"] = [_("参与门槛应为1到100之间的整数（%）")]
    vote = Vote(title=title, description=description, vote_kind=vote_kind, secret=bool(secret),
                changeable=bool(changeable), opens_at=start, closes_at=end, created_by=user,
                majority_numerator=num, majority_denominator=den, majority_strict=bool(majority_strict),
                quorum_percent=quorum if vote_kind == VoteKind.CONSULTATION else None)
    if topic is not None:
        topic = Topic.objects.filter(pk=getattr(topic, "pk", topic)).first()
        if topic is None or (place is not None and topic.compound_id != place.pk):
            errors["topic"] = [_("议题不属于该小区")]
        vote.topic = topic
    if place is not None:
        vote.compound = place
        if not can(user, VOTE_MANAGE, vote):
            errors["compound"] = [_("该小区不在您可以发起表决的范围内")]
    if errors:
        raise ValidationError(errors)
    vote.save()
    VoteItem.objects.bulk_create(VoteItem(vote=vote, position=p, text=t, item_kind=k) for p, t, k in rows)
    audit(AuditAction.CREATE, user=user, obj=vote, request=request, detail="create",
          changes={"vote_kind": [None, vote_kind], "compound": [None, place.pk], "secret": [None, vote.secret]})
    _event(vote=vote, actor=user, action="vote_created")
    return vote


@transaction.atomic
def vote_open(*, user, vote, version=None, request=None):
    """Freeze the roll and open the vote. An owners' vote cannot open while a unit lacks an owner or an area: the
    error lists each one."""
    vote = _locked(Vote, vote)
    require(user, VOTE_MANAGE, vote)
    _check(vote, version)
    if vote.status != VoteStatus.DRAFT:
        raise Conflict(_("该表决已开始或已结束。"))
    if timezone.now() >= vote.closes_at:
        raise ValidationError({"closes_at": [_("截止时间已过，请重新发起表决。")]})
    if vote.is_assembly:
        problems = roll_problems(vote.compound)
        if problems:
            raise ValidationError({"roll": problems})
        rows = _assembly_roll(vote)
    else:
        rows = _consultation_roll(vote)
    if not rows:
        raise ValidationError({"roll": [_("该小区没有可参与表决的房屋。")]})
    RollEntry.objects.bulk_create(rows, batch_size=1000)
    vote.status, vote.published, vote.version = VoteStatus.OPEN, True, vote.version + 1
    vote.save(update_fields=["status", "published", "version"])
    audit(AuditAction.UPDATE, user=user, obj=vote, request=request, detail="open",
          changes={"status": [VoteStatus.DRAFT, VoteStatus.OPEN], "roll": [None, len(rows)]})
    _event(vote=vote, actor=user, action="vote_opened")
    return vote


@transaction.atomic
def vote_close(*, user, vote, request=None):
    """Close a vote once its period is over (the result and the public notice follow from it)."""
    vote = _locked(Vote, vote)
    require(user, VOTE_MANAGE, vote)
    if vote.status != VoteStatus.OPEN:
        raise Conflict(_("该表决未在进行中。"))
    now = timezone.now()
    if now < vote.closes_at:
        raise ValidationError({"closes_at": [_("投票期尚未结束，截止时间为 %(at)s。") % {
            "at": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")}]})
    vote.status, vote.closed_at, vote.version = VoteStatus.CLOSED, now, vote.version + 1
    vote.save(update_fields=["status", "closed_at", "version"])
    audit(AuditAction.UPDATE, user=user, obj=vote, request=request, detail="close",
          changes={"status": [VoteStatus.OPEN, VoteStatus.CLOSED]})
    _event(vote=vote, actor=user, action="vote_closed")
    return vote


def _choices(vote, choices):
    """{item id (str): choice} for every item of the vote, or ValidationError."""
    items = [str(pk) for pk in vote.items.values_list("pk", flat=True)]
    given = {str(k): v for k, v in (choices or {}).items()}
    unknown = set(given) - set(items)
    missing = [pk for pk in items if given.get(pk) not in tally.CHOICES]
    if unknown or missing:
        raise ValidationError({"choices": [_("请对每个表决事项选择同意、反对或弃权。")]})
    return {pk: given[pk] for pk in items}


def _period_open(vote):
    now = timezone.now()
    if vote.status != VoteStatus.OPEN or now < vote.opens_at:
        raise ValidationError({"vote": [_("该表决尚未开始投票。")]}) if vote.status == VoteStatus.DRAFT or \
            now < vote.opens_at else ValidationError({"vote": [_("该表决已结束，不能再投票。")]})
    if now >= vote.closes_at:
        raise ValidationError({"vote": [_("投票期已结束，不能再投票。")]})


def _head_for(vote, *, user=None, unit=None):
    """The head a ballot is for: the owner of `unit` (which `user`, when given, must own), or the one head `user`
    votes as."""
    entries = RollEntry.objects.filter(vote=vote)
    if unit not in (None, ""):
        if not str(unit).isdigit():
            raise ValidationError({"unit": [_("请选择房屋。")]})
        entries = entries.filter(household_id=int(unit))
        if not entries.exists():
            raise ValidationError({"unit": [_("该房屋不在本次表决的名册中。")]})
    if user is not None:
        entries = entries.filter(voter_user=user)
    heads = sorted(set(entries.values_list("head", flat=True)))
    if not heads:
        if unit not in (None, ""):
            raise ValidationError({"unit": [_("您不是该房屋登记的业主，不能为其投票。")]})
        raise ValidationError({"vote": [_("您不是本小区登记的业主，不能参加本次表决。") if vote.is_assembly else
                                        _("您不是本小区登记的住户，不能参加本次征求意见。")]})
    if len(heads) > 1:
        raise ValidationError({"unit": [_("请选择为哪一户投票。")]})
    return heads[0]


def _store(vote, head, *, choices, user, voter_user, channel, proxy_name="", proxy_authorisation="", request=None):
    """Write the head's ballot, or change it while the vote allows: the vote row is locked first, so concurrent
    submissions for one head queue here and the second sees the first's ballot; the unique constraint on
    (vote, head) holds even where the lock is not taken (SQLite takes one writer at a time)."""
    now = timezone.now()
    ballot = Ballot.objects.select_for_update().filter(vote=vote, head=head).first()
    if ballot is not None:
        if not vote.changeable:
            raise ValidationError({"vote": [_("已投过票，本次表决不允许改票。")]})
        before = ballot.channel
        ballot.choices, ballot.channel, ballot.entered_by = choices, channel, user
        ballot.proxy_name, ballot.proxy_authorisation = proxy_name, proxy_authorisation
        ballot.changed_at, ballot.revision = now, ballot.revision + 1
        ballot.voter_user = voter_user or ballot.voter_user
        ballot.save()
        audit(AuditAction.UPDATE, user=user, obj=ballot, request=request, detail="change",
              object_repr=str(vote), changes={"channel": [before, channel], "revision": [None, ballot.revision]})
        return ballot, False
    first_unit = RollEntry.objects.filter(vote=vote, head=head).select_related("household__building") \
        .order_by("household_id").first()
    household = first_unit.household
    ballot = Ballot(vote=vote, head=head, voter_user=voter_user, entered_by=user, channel=channel, choices=choices,
                    proxy_name=proxy_name, proxy_authorisation=proxy_authorisation, secret=vote.secret,
                    compound_id=vote.compound_id, building_id=household.building_id, household=household,
                    cast_at=now, changed_at=now)
    try:
        with transaction.atomic():
            ballot.save()
    except IntegrityError:
        raise Conflict(_("该业主的选票刚刚已提交，请刷新后查看。")) from None
    audit(AuditAction.CREATE, user=user, obj=ballot, request=request, detail="cast", object_repr=str(vote),
          changes={"channel": [None, channel]})
    return ballot, True


@transaction.atomic
def ballot_cast(*, user, vote, choices, unit=None, request=None):
    """An owner (or a household's resident, in a consultation) casts or changes their own ballot online."""
    vote = _locked(Vote, vote)
    require(user, VOTE_VIEW, vote)
    _period_open(vote)
    if not can(user, BALLOT_CAST, vote):
        _head_for(vote, user=user, unit=unit)  # says why: not an owner, not this unit's owner
        raise ValidationError({"vote": [_("您不能参加本次表决。")]})
    head = _head_for(vote, user=user, unit=unit)
    choices = _choices(vote, choices)
    ballot, _created = _store(vote, head, choices=choices, user=user, voter_user=user, channel=Channel.ONLINE,
                              request=request)
    return ballot


@transaction.atomic
def ballot_enter(*, user, vote, unit, choices, channel=Channel.PAPER, proxy_name="", proxy_authorisation="",
                 request=None):
    """Staff enter a paper ballot, or a proxy's ballot with the written authorisation recorded, for the owner of
    `unit`; the ballot records who entered it."""
    vote = _locked(Vote, vote)
    require(user, VOTE_MANAGE, vote)
    _period_open(vote)
    errors = {}
    if channel not in (Channel.PAPER, Channel.PROXY):
        errors["channel"] = [_("请选择纸质选票或委托投票")]
    if channel == Channel.PROXY:
        proxy_name = _text(errors, "proxy_name", proxy_name, label=_("受托人姓名"), limit=60)
        proxy_authorisation = _text(errors, "proxy_authorisation", proxy_authorisation,
                                    label=_("书面委托书（编号或说明）"), limit=200)
    else:
        proxy_name = proxy_authorisation = ""
    if errors:
        raise ValidationError(errors)
    if unit in (None, ""):
        raise ValidationError({"unit": [_("请选择房屋。")]})
    head = _head_for(vote, unit=unit)
    choices = _choices(vote, choices)
    owner_account = RollEntry.objects.filter(vote=vote, head=head, voter_user__isnull=False) \
        .values_list("voter_user", flat=True).first()
    ballot, _created = _store(vote, head, choices=choices, user=user, voter_user=_user(owner_account),
                              channel=channel, proxy_name=proxy_name, proxy_authorisation=proxy_authorisation,
                              request=request)
    return ballot


def _user(pk):
    if pk is None:
        return None
    from gongzhi.accounts.models import User

    return User.objects.filter(pk=pk).first()


# ---- topics ------------------------------------------------------------------------------------------------

@transaction.atomic
def topic_raise(*, user, compound, title, body="", request=None):
    errors = {}
    title = _text(errors, "title", title, label=_("议题"), limit=60)
    body = _text(errors, "body", body, label=_("说明"), required=False)
    place = _compound(errors, compound)
    if place is not None and not may_in_compound(user, TOPIC_RAISE, Topic, place):
        errors["compound"] = [_("该小区不在您可以提出议题的范围内")]
    if errors:
        raise ValidationError(errors)
    topic = Topic.objects.create(compound=place, title=title, body=body, raised_by=user,
                                 threshold=settings.DELIBERATION_TOPIC_THRESHOLD)
    audit(AuditAction.CREATE, user=user, obj=topic, request=request, detail="raise",
          changes={"compound": [None, place.pk]})
    _event(topic=topic, actor=user, action="topic_raised")
    return topic


@transaction.atomic
def topic_support(*, user, topic, request=None):
    """Support a topic once; the support that reaches the threshold puts it on the agenda."""
    topic = _locked(Topic, topic)
    if not may_in_compound(user, TOPIC_SUPPORT, Topic, topic.compound):
        raise Http404
    if topic.status != TopicStatus.OPEN:
        raise ValidationError({"topic": [_("该议题已不再征集支持。")]})
    if topic.raised_by_id == user.pk:
        raise ValidationError({"topic": [_("不能支持自己提出的议题。")]})
    if TopicSupport.objects.filter(topic=topic, user=user).exists():
        raise ValidationError({"topic": [_("您已支持过该议题。")]})
    TopicSupport.objects.create(topic=topic, user=user)
    topic.supporters += 1
    reached = topic.supporters >= topic.threshold
    if reached:
        topic.status = TopicStatus.AGENDA
    topic.version += 1
    topic.save(update_fields=["supporters", "status", "version"])
    audit(AuditAction.UPDATE, user=user, obj=topic, request=request, detail="support",
          changes={"supporters": [topic.supporters - 1, topic.supporters]})
    if reached:
        _event(topic=topic, actor=user, action="topic_on_agenda")
    return topic


TOPIC_MOVES = {
    TopicStatus.OPEN: (TopicStatus.AGENDA, TopicStatus.DECLINED),
    TopicStatus.AGENDA: (TopicStatus.TO_VOTE, TopicStatus.DECIDED, TopicStatus.DECLINED),
    TopicStatus.TO_VOTE: (TopicStatus.DECIDED, TopicStatus.DECLINED),
}


@transaction.atomic
def topic_decide(*, user, topic, status, outcome="", version=None, request=None):
    """The owners' committee or the community moves a topic on: onto the agenda, to the owners' vote, decided or
    declined, saying why."""
    errors = {}
    outcome = _text(errors, "outcome", outcome, label=_("处理意见"), required=status == TopicStatus.DECLINED,
                    limit=300)
    topic = _locked(Topic, topic)
    require(user, TOPIC_MANAGE, topic)
    _check(topic, version)
    if status not in TOPIC_MOVES.get(topic.status, ()):
        errors["status"] = [_("该议题当前不能改为此状态。")]
    if errors:
        raise ValidationError(errors)
    before = topic.status
    topic.status, topic.outcome, topic.version = status, outcome or topic.outcome, topic.version + 1
    topic.save(update_fields=["status", "outcome", "version"])
    audit(AuditAction.UPDATE, user=user, obj=topic, request=request, detail="decide",
          changes={"status": [before, status]})
    _event(topic=topic, actor=user, action="topic_decided", note=outcome)
    return topic


# ---- resolutions -------------------------------------------------------------------------------------------

@transaction.atomic
def resolution_create(*, user, compound, title, due_on, responsible_user=None, responsible_org=None, topic=None,
                      vote=None, request=None):
    errors = {}
    title = _text(errors, "title", title, label=_("决议事项"), limit=80)
    place = _compound(errors, compound)
    try:
        due = due_on if isinstance(due_on, datetime.date) else datetime.date.fromisoformat(str(due_on or ""))
    except ValueError:
        due = None
        errors["due_on"] = [_("请填写有效的完成期限（年-月-日）")]
    if responsible_user is None and responsible_org is None:
        errors["responsible"] = [_("请指定责任人或责任单位")]
    if responsible_org is not None and not isinstance(responsible_org, Organisation):
        responsible_org = Organisation.objects.filter(pk=responsible_org).first()
        if responsible_org is None:
            errors["responsible"] = [_("责任单位不存在")]
    res = Resolution(title=title, due_on=due, responsible_user=responsible_user, responsible_org=responsible_org,
                     created_by=user)
    for field, model, value in (("topic", Topic, topic), ("vote", Vote, vote)):
        if value not in (None, ""):
            row = model.objects.filter(pk=getattr(value, "pk", value)).first()
            if row is None or (place is not None and row.compound_id != place.pk):
                errors[field] = [_("关联的议题或表决不属于该小区")]
            setattr(res, field, row)
    if place is not None:
        res.compound = place
        if not can(user, RESOLUTION_MANAGE, res):
            errors["compound"] = [_("该小区不在您可以登记决议的范围内")]
    if errors:
        raise ValidationError(errors)
    res.save()
    if res.topic_id and res.topic.status in (TopicStatus.AGENDA, TopicStatus.TO_VOTE):
        Topic.objects.filter(pk=res.topic_id).update(status=TopicStatus.DECIDED, version=res.topic.version + 1)
    audit(AuditAction.CREATE, user=user, obj=res, request=request, detail="create",
          changes={"due_on": [None, due.isoformat()], "compound": [None, place.pk]})
    _event(resolution=res, actor=user, action="resolution_created")
    return res


@transaction.atomic
def resolution_progress(*, user, resolution, progress, note="", version=None, request=None):
    """Report how far a resolution has got (0-100 %); 100 % is done."""
    errors = {}
    note = _text(errors, "note", note, label=_("进展说明"), limit=500)
    try:
        value = int(str(progress).strip())
        if not 0 <= value <= 100:
            raise ValueError
    except (TypeError, ValueError):
        value = None
        errors["progress"] = [_("进度应为0到100之间的整数（%）")]
    res = _locked(Resolution, resolution)
    require(user, RESOLUTION_REPORT, res)
    _check(res, version)
    if res.status == ResolutionStatus.DONE:
        errors["progress"] = [_("该决议已完成。")]
    if errors:
        raise ValidationError(errors)
    before = (res.status, res.progress)
    res.progress = value
    res.status = ResolutionStatus.DONE if value == 100 else ResolutionStatus.IN_PROGRESS
    res.done_at = timezone.now() if value == 100 else None
    res.version += 1
    res.save(update_fields=["progress", "status", "done_at", "version"])
    audit(AuditAction.UPDATE, user=user, obj=res, request=request, detail="progress",
          changes={"status": [before[0], res.status], "progress": [before[1], value]})
    _event(resolution=res, actor=user, action="resolution_done" if value == 100 else "resolution_progress",
           note=note)
    return res


# ---- meetings (党群议事会) --------------------------------------------------------------------------------------

@transaction.atomic
def meeting_schedule(*, user, compound, title, starts_at, ends_at, topics=(), invitees="", room=None, place_note="",
                     attendees=10, request=None):
    """Schedule a meeting of the compound's deliberation with an agenda of its topics, in a station's room booked
    through the stations capability (its rules: the room's hours, size and other bookings) or at a place named."""
    from gongzhi.stations import services as stations

    errors = {}
    title = _text(errors, "title", title, label=_("会议名称"), limit=80)
    invitees = _text(errors, "invitees", invitees, label=_("参会方"), required=False, limit=300)
    place_note = _text(errors, "place_note", place_note, label=_("地点"), required=False, limit=120)
    place = _compound(errors, compound)
    start = _moment(errors, "starts_at", starts_at, _("开始时间"))
    end = _moment(errors, "ends_at", ends_at, _("结束时间"))
    if start and end and end <= start:
        errors["ends_at"] = [_("结束时间应晚于开始时间")]
    agenda = list(Topic.objects.filter(pk__in=[int(t) for t in topics if str(t).isdigit()]))
    if place is not None and any(t.compound_id != place.pk for t in agenda):
        errors["topics"] = [_("议程中的议题应属于该小区")]
    if room in (None, "") and not place_note:
        errors["room"] = [_("请选择会议室或填写地点")]
    meeting = Meeting(title=title, starts_at=start, ends_at=end, invitees=invitees, place_note=place_note,
                      created_by=user)
    if place is not None:
        meeting.compound = place
        if not can(user, MEETING_MANAGE, meeting):
            errors["compound"] = [_("该小区不在您可以召集议事会的范围内")]
    if errors:
        raise ValidationError(errors)
    if room not in (None, ""):
        try:
            meeting.booking = stations.booking_create(user=user, room_id=room, starts_at=start, ends_at=end,
                                                      attendees=attendees, purpose=title)
        except Http404:
            raise ValidationError({"room": [_("您不能预约该会议室。")]}) from None
        except stations.Conflict:
            raise ValidationError({"room": [_("该时段会议室已被预约，请另选时间。")]}) from None
        except ValidationError as exc:
            raise ValidationError({"room": [m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict")
                                                         else [exc.messages]) for m in ms]}) from None
    meeting.save()
    meeting.topics.set(agenda)
    audit(AuditAction.CREATE, user=user, obj=meeting, request=request, detail="schedule",
          changes={"starts_at": [None, start.isoformat()], "topics": [None, [t.pk for t in agenda]]})
    _event(meeting=meeting, actor=user, action="meeting_scheduled")
    return meeting


@transaction.atomic
def meeting_record(*, user, meeting, attendance, attendees_count, minutes, decisions, to_vote=(), version=None,
                   request=None):
    """Record what a meeting was: who came, its minutes and decisions; the agenda topics it put to the owners'
    vote move on."""
    errors = {}
    attendance = _text(errors, "attendance", attendance, label=_("出席"), limit=1000)
    minutes = _text(errors, "minutes", minutes, label=_("会议纪要"), limit=10000)
    decisions = _text(errors, "decisions", decisions, label=_("议定事项"), limit=4000)
    try:
        count = int(str(attendees_count).strip())
        if not 1 <= count <= 10000:
            raise ValueError
    except (TypeError, ValueError):
        count = None
        errors["attendees_count"] = [_("出席人数应为1到10000之间的整数")]
    meeting = _locked(Meeting, meeting)
    require(user, MEETING_MANAGE, meeting)
    _check(meeting, version)
    agenda = {t.pk: t for t in meeting.topics.all()}
    chosen = [int(t) for t in to_vote if str(t).isdigit()]
    if any(pk not in agenda for pk in chosen):
        errors["to_vote"] = [_("只能将本次议程中的议题提交表决")]
    if timezone.now() < meeting.starts_at:
        errors["minutes"] = [_("会议尚未开始，不能记录纪要。")]
    if errors:
        raise ValidationError(errors)
    before = meeting.status
    meeting.attendance, meeting.attendees_count, meeting.minutes, meeting.decisions = attendance, count, minutes, \
        decisions
    meeting.status, meeting.version = MeetingStatus.HELD, meeting.version + 1
    meeting.save()
    for pk in chosen:
        topic = agenda[pk]
        if topic.status in (TopicStatus.OPEN, TopicStatus.AGENDA):
            if topic.status == TopicStatus.OPEN:
                topic_decide(user=user, topic=topic, status=TopicStatus.AGENDA, request=request)
            topic_decide(user=user, topic=topic, status=TopicStatus.TO_VOTE,
                         outcome=_("议事会决定提交业主表决：%(m)s") % {"m": meeting.title}, request=request)
    audit(AuditAction.UPDATE, user=user, obj=meeting, request=request, detail="minutes",
          changes={"status": [before, meeting.status], "attendees_count": [None, count], "to_vote": [None, chosen]})
    _event(meeting=meeting, actor=user, action="meeting_held")
    return meeting


# ---- mediation (矛盾纠纷调解) ------------------------------------------------------------------------------------
# Confidential records: every refusal is a 404, names and phones are written encrypted and audited only as changed
# (core.audit.SENSITIVE), and the clear values are read through `mediation_reveal` alone, audited.

DISPUTE_CATEGORY = "dispute"  # the appeal category the desk may turn into a mediation record
MAX_PARTIES = 10
MAX_MEDIATORS = 5
PHONE_CHARS = set("0123456789-+ ")


def _date(errors, field, value, label, *, required=True):
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            errors[field] = [_("请填写%(label)s") % {"label": label}]
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors[field] = [_("请填写有效的%(label)s（年-月-日）") % {"label": label}]
        return None


def _parties(errors, parties):
    from .models import PartySide

    rows = []
    if not isinstance(parties, (list, tuple)) or not parties:
        errors["parties"] = [_("请至少填写一方当事人")]
        return rows
    if len(parties) > MAX_PARTIES:
        errors["parties"] = [_("当事人最多%(n)s个") % {"n": MAX_PARTIES}]
        return rows
    for p in parties:
        p = p if isinstance(p, dict) else {}
        name = str(p.get("name") or "").strip()
        phone = str(p.get("phone") or "").strip()
        side = str(p.get("side") or PartySide.APPLICANT)
        if not name or len(name) > 40:
            errors["parties"] = [_("请填写每位当事人的姓名（不超过40个字）")]
        elif side not in PartySide.values:
            errors["parties"] = [_("当事方应为申请方或被申请方")]
        elif phone and (len(phone) > 20 or not set(phone) <= PHONE_CHARS or sum(c.isdigit() for c in phone) < 7):
            errors["parties"] = [_("当事人电话格式不正确")]
        else:
            rows.append((side, name, phone))
    if not errors.get("parties") and not any(side == PartySide.APPLICANT for side, _n, _p in rows):
        errors["parties"] = [_("请至少填写一位申请方当事人")]
    return rows


def _mediators(errors, mediation, mediators):
    from gongzhi.accounts.models import User

    from .capability import MEDIATION_SERVE

    ids = [str(m).strip() for m in (mediators or ()) if str(m).strip()]
    if not ids:
        errors["mediators"] = [_("请至少指定一名调解员")]
        return []
    if len(ids) > MAX_MEDIATORS or not all(i.isdigit() for i in ids):
        errors["mediators"] = [_("请从列表中选择调解员（最多%(n)s名）") % {"n": MAX_MEDIATORS}]
        return []
    people = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(people) != len(set(ids)) or not all(can(p, MEDIATION_SERVE, mediation) for p in people):
        errors["mediators"] = [_("调解员应为该小区所在社区的工作人员、网格员或党员")]
        return []
    return people


def mediation_candidates(mediation):
    """Who may be named a mediator of a record at this place (the opening form's list)."""
    from gongzhi.accounts.policy import users_with

    from .capability import MEDIATION_SERVE

    return users_with(MEDIATION_SERVE, mediation, by_relation=False).order_by("username")


@transaction.atomic
def mediation_open(*, user, compound, dispute_type, summary, parties, mediators, household=None, appeal=None,
                   request=None):
    """Open a mediation record for a dispute: its type, a summary, its parties (names and phones encrypted) and
    the mediators assigned."""
    from .capability import MEDIATION_MANAGE
    from .models import DisputeType, Mediation, MediationParty, Mediator

    errors = {}
    place = _compound(errors, compound)
    unit = None
    if household not in (None, ""):
        unit = Household.objects.select_related("building").filter(pk=household).first() \
            if str(household).isdigit() else None
        if unit is None or (place is not None and unit.building.compound_id != place.pk):
            errors["household"] = [_("请选择该小区内的房屋")]
            unit = None
    if str(dispute_type or "") not in DisputeType.values:
        errors["dispute_type"] = [_("请选择纠纷类型")]
    summary = _text(errors, "summary", summary, label=_("纠纷概要"), limit=200)
    rows = _parties(errors, parties)
    record = Mediation(compound=place, building_id=unit.building_id if unit else None, household=unit,
                       dispute_type=str(dispute_type or ""), summary=summary, created_by=user, appeal=appeal)
    if place is not None and not can(user, MEDIATION_MANAGE, record):
        # Out of the user's reach: said as the form's field, as for any place the user cannot choose.
        errors["compound"] = [_("该小区不在您可以受理调解的范围内")]
    people = _mediators(errors, record, mediators) if place is not None else []
    if errors:
        raise ValidationError(errors)
    record.save()
    for side, name, phone in rows:
        party = MediationParty(mediation=record, side=side)
        party.set_name(name)
        party.set_phone(phone)
        party.save()
    Mediator.objects.bulk_create([Mediator(mediation=record, user=p) for p in people])
    audit(AuditAction.CREATE, user=user, obj=record, request=request, detail="open",
          changes={"compound": [None, place.pk], "dispute_type": [None, record.dispute_type],
                   "parties": ["", SENSITIVE], "mediators": [None, [p.get_username() for p in people]],
                   "appeal": [None, appeal.pk if appeal else None]})
    _event(mediation=record, actor=user, action="mediation_opened", internal=True)
    return record


@transaction.atomic
def mediation_from_appeal(*, user, appeal, dispute_type, mediators, parties=None, request=None):
    """The desk turns a 邻里纠纷 appeal into a mediation record: the record names the appeal, the appeal lists it.
    The summary is the appeal's title; the parties are those given, else the appeal's contact as the applicant."""
    from gongzhi.appeals.capability import APPEAL_DISPATCH
    from gongzhi.appeals.models import Appeal

    from .models import PartySide

    found = Appeal.objects.select_for_update().select_related("category").filter(
        pk=getattr(appeal, "pk", appeal)).first()
    if found is None:
        raise Http404
    require(user, APPEAL_DISPATCH, found)
    if found.category.code != DISPUTE_CATEGORY:
        raise ValidationError({"appeal": [_("只有“邻里纠纷”类诉求可以转为调解")]})
    if found.mediations.exists():
        raise ValidationError({"appeal": [_("该诉求已转为调解记录")]})
    person = found.reporter.resident if found.reporter_id and found.reporter.resident_id else None
    # A staff member who reported it on patrol is not a party: then the record says "the appellant" until revealed.
    name = found.contact_name or (person.name if person else "") or _("诉求人")
    phone = crypto.decrypt(found.contact_phone_enc) or (person.phone_clear() if person else "")
    return mediation_open(user=user, compound=found.compound_id, household=found.household_id,
                          dispute_type=dispute_type, summary=found.title[:200],
                          parties=parties or [{"side": PartySide.APPLICANT, "name": name, "phone": phone}],
                          mediators=mediators, appeal=found, request=request)


def _mediation_locked(user, pk, action):
    from .models import Mediation

    record = Mediation.objects.select_for_update().filter(pk=getattr(pk, "pk", pk)).first()
    if record is None:
        raise Http404
    require(user, action, record)
    return record


def _moved(record, user, request, detail, changes, action, note=""):
    record.version += 1
    record.save()
    audit(AuditAction.UPDATE, user=user, obj=record, request=request, detail=detail, changes=changes)
    _event(mediation=record, actor=user, action=action, note=note, internal=True)
    return record


@transaction.atomic
def mediation_session(*, user, mediation, held_on, notes, attended="", version=None, request=None):
    """A mediation session held: its date, who came, what was said. The first moves the record into mediation."""
    from .capability import MEDIATION_WORK
    from .models import MediationSession, MediationStatus

    errors = {}
    day = _date(errors, "held_on", held_on, _("调解日期"))
    if day and day > timezone.localdate():
        errors["held_on"] = [_("调解日期不能晚于今天")]
    notes = _text(errors, "notes", notes, label=_("调解记录"))
    attended = _text(errors, "attended", attended, label=_("参加人员"), required=False, limit=300)
    record = _mediation_locked(user, mediation, MEDIATION_WORK)
    _check(record, version)
    if record.status not in (MediationStatus.OPEN, MediationStatus.MEDIATING):
        errors["status"] = [_("该调解已%(status)s，不能再记录调解。") % {"status": record.get_status_display()}]
    if errors:
        raise ValidationError(errors)
    MediationSession.objects.create(mediation=record, held_on=day, attended=attended, notes=notes, recorded_by=user)
    changes = {"notes": ["", SENSITIVE]}
    if record.status != MediationStatus.MEDIATING:
        changes["status"] = [record.status, MediationStatus.MEDIATING]
        record.status = MediationStatus.MEDIATING
    return _moved(record, user, request, "session", changes, "mediation_session")


@transaction.atomic
def mediation_agree(*, user, mediation, agreement, agreed_on, follow_up_on=None, version=None, request=None):
    """The parties reached an agreement: its terms, the day, and when the mediators will follow it up."""
    from .capability import MEDIATION_WORK
    from .models import MediationStatus

    errors = {}
    agreement = _text(errors, "agreement", agreement, label=_("调解协议内容"))
    day = _date(errors, "agreed_on", agreed_on, _("达成协议日期"))
    follow = _date(errors, "follow_up_on", follow_up_on, _("回访日期"), required=False)
    if day and day > timezone.localdate():
        errors["agreed_on"] = [_("达成协议日期不能晚于今天")]
    if day and follow and follow < day:
        errors["follow_up_on"] = [_("回访日期不能早于达成协议日期")]
    record = _mediation_locked(user, mediation, MEDIATION_WORK)
    _check(record, version)
    if record.status != MediationStatus.MEDIATING:
        errors["status"] = [_("只有调解中的纠纷可以登记调解协议（请先记录调解过程）。")]
    if errors:
        raise ValidationError(errors)
    before = record.status
    record.status, record.agreement, record.agreed_on, record.follow_up_on = MediationStatus.AGREED, agreement, day, follow
    return _moved(record, user, request, "agree", {"status": [before, record.status], "agreement": ["", SENSITIVE]},
                  "mediation_agreed")


@transaction.atomic
def mediation_hand_over(*, user, mediation, handed_to, reason, version=None, request=None):
    """Mediation here failed: the dispute goes to the sub-district's committee or to judicial mediation."""
    from .capability import MEDIATION_WORK
    from .models import HandOver, MediationStatus

    errors = {}
    if str(handed_to or "") not in HandOver.values:
        errors["handed_to"] = [_("请选择移交对象")]
    reason = _text(errors, "reason", reason, label=_("移交原因"), limit=300)
    record = _mediation_locked(user, mediation, MEDIATION_WORK)
    _check(record, version)
    if record.status not in (MediationStatus.OPEN, MediationStatus.MEDIATING):
        errors["status"] = [_("该调解已%(status)s，不能移交。") % {"status": record.get_status_display()}]
    if errors:
        raise ValidationError(errors)
    before = record.status
    record.status, record.handed_to, record.handover_reason = MediationStatus.HANDED_OVER, handed_to, reason
    record.handed_over_at = timezone.now()
    return _moved(record, user, request, "hand_over", {"status": [before, record.status], "handed_to": [None, handed_to]},
                  "mediation_handed_over")


@transaction.atomic
def mediation_follow_up(*, user, mediation, held_on, notes, close=False, version=None, request=None):
    """A follow-up of an agreement kept (or not) or of a handed-over dispute; with `close`, the record is closed."""
    from .capability import MEDIATION_WORK
    from .models import MediationSession, MediationStatus, SessionKind

    errors = {}
    day = _date(errors, "held_on", held_on, _("回访日期"))
    if day and day > timezone.localdate():
        errors["held_on"] = [_("回访日期不能晚于今天")]
    notes = _text(errors, "notes", notes, label=_("回访情况"))
    record = _mediation_locked(user, mediation, MEDIATION_WORK)
    _check(record, version)
    if record.status not in (MediationStatus.AGREED, MediationStatus.HANDED_OVER):
        errors["status"] = [_("只有已达成协议或已移交的纠纷需要回访。")]
    if errors:
        raise ValidationError(errors)
    MediationSession.objects.create(mediation=record, kind=SessionKind.FOLLOW_UP, held_on=day, notes=notes,
                                    recorded_by=user)
    before, changes = record.status, {"follow_up": [None, str(day)], "notes": ["", SENSITIVE]}
    record.follow_up_on = None
    if close:
        record.status, record.closed_at, record.closing_note = MediationStatus.CLOSED, timezone.now(), notes[:300]
        changes["status"] = [before, record.status]
    return _moved(record, user, request, "follow_up", changes,
                  "mediation_closed" if close else "mediation_followed_up")


@transaction.atomic
def mediation_close(*, user, mediation, reason, version=None, request=None):
    """Close a dispute not mediated to an agreement here (withdrawn, settled by the parties themselves)."""
    from .capability import MEDIATION_WORK
    from .models import MediationStatus

    errors = {}
    reason = _text(errors, "reason", reason, label=_("结案说明"), limit=300)
    record = _mediation_locked(user, mediation, MEDIATION_WORK)
    _check(record, version)
    if record.status == MediationStatus.CLOSED:
        errors["status"] = [_("该调解已结案。")]
    if errors:
        raise ValidationError(errors)
    before = record.status
    record.status, record.closed_at, record.closing_note = MediationStatus.CLOSED, timezone.now(), reason
    return _moved(record, user, request, "close", {"status": [before, record.status]}, "mediation_closed")


def mediation_reveal(*, user, mediation, request=None):
    """The parties' clear names and phones, for one who may read the record; audited."""
    from .capability import MEDIATION_VIEW

    require(user, MEDIATION_VIEW, mediation)
    audit(AuditAction.REVEAL, user=user, obj=mediation, detail="reveal", request=request)
    return {p.pk: {"name": p.name_clear(), "phone": p.phone_clear()} for p in mediation.parties.all()}
