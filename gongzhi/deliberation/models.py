"""Deliberation (党群议事): who owns each unit, votes with their frozen roll and ballots, topics and their
supporters, resolutions followed to done, and one timeline for all of them."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.identity import mask_mobile, mask_name
from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.places import Placed

AREA = {"max_digits": 8, "decimal_places": 2, "null": True, "blank": True,
        "validators": [MinValueValidator(Decimal("0.01"))]}


class Ownership(Placed):
    """Who owns one exclusive unit (a household of the grid), as the property register says.

    Its registered area is the household's floor area (专有面积); the surveyed and contract areas stand in when the
    register has none. One row per unit: co-owners of a unit are one owner. The owner is a person record or an
    account; several rows naming the same one are one owner by head, and every developer-held unit is one owner
    together (tally.py).
    """

    owner_name = models.CharField(_("业主姓名"), max_length=60)
    owner_resident = models.ForeignKey("people.Resident", verbose_name=_("业主（居民档案）"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("业主账号"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    developer_held = models.BooleanField(_("开发建设单位持有"), default=False)
    surveyed_area = models.DecimalField(_("实测面积（m²）"), **AREA)
    contract_area = models.DecimalField(_("合同面积（m²）"), **AREA)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("产权登记")
        verbose_name_plural = _("产权登记")
        constraints = [models.UniqueConstraint(fields=["household"], name="deliberation_one_owner_per_unit")]

    def __str__(self):
        return f"{self.household} · {self.owner_name}"

    @property
    def head(self):
        """The owner as counted by head: the developer, else the person record, else the account."""
        if self.developer_held:
            return "developer"
        if self.owner_resident_id:
            return f"r{self.owner_resident_id}"
        if self.owner_user_id:
            return f"u{self.owner_user_id}"
        return None


class VoteKind(models.TextChoices):
    CONSULTATION = "consultation", _("征求意见（每户一票）")
    ASSEMBLY = "assembly", _("业主大会表决（民法典第278条）")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已结束")


class Vote(Placed):
    """A vote of one compound: a consultation of its households or an owners' assembly vote, over one or more items."""

    title = models.CharField(_("标题"), max_length=80)
    description = models.TextField(_("说明"), blank=True)
    vote_kind = models.CharField(_("类型"), max_length=14, choices=VoteKind.choices, default=VoteKind.ASSEMBLY)
    secret = models.BooleanField(_("无记名投票"), default=False)
    changeable = models.BooleanField(_("截止前可改票"), default=True)
    # A consultation's majority of the participating households: more than 1/2 by default, or at least n/d.
    majority_numerator = models.PositiveSmallIntegerField(_("多数（分子）"), default=1)
    majority_denominator = models.PositiveSmallIntegerField(_("多数（分母）"), default=2)
    majority_strict = models.BooleanField(_("须超过该比例"), default=True)
    quorum_percent = models.PositiveSmallIntegerField(_("参与门槛（%）"), null=True, blank=True)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(_("状态"), max_length=8, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    published = models.BooleanField(_("已发布"), default=False)
    topic = models.ForeignKey("deliberation.Topic", verbose_name=_("议题"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="votes")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        indexes = [models.Index(fields=["compound", "status", "-closes_at"], name="deliberation_vote_list")]
        constraints = [models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                              name="deliberation_vote_period_order")]

    def __str__(self):
        return self.title

    @property
    def is_assembly(self):
        return self.vote_kind == VoteKind.ASSEMBLY

    def in_period(self, now=None):
        now = now or timezone.now()
        return self.status == VoteStatus.OPEN and self.opens_at <= now < self.closes_at


class ItemKind(models.TextChoices):
    ORDINARY = "ordinary", _("一般事项（过半数）")
    SPECIAL = "special", _("第278条第(六)至(八)项（四分之三以上）")


class VoteItem(models.Model):
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=1)
    text = models.CharField(_("表决事项"), max_length=200)
    item_kind = models.CharField(_("事项类别"), max_length=8, choices=ItemKind.choices, default=ItemKind.ORDINARY)

    class Meta:
        ordering = ["vote_id", "position"]
        constraints = [models.UniqueConstraint(fields=["vote", "position"], name="deliberation_item_position")]

    def __str__(self):
        return self.text


class RollEntry(models.Model):
    """One line of a vote's roll, frozen when it opens: an assembly's units with their owner and area, or a
    consultation's households with each account that may vote for one."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="roll")
    household = models.ForeignKey("grid.Household", on_delete=models.PROTECT, related_name="+")
    head = models.CharField(max_length=24)  # whose vote this unit is: tally.Unit.head, or "h<household>"
    owner_name = models.CharField(max_length=60, blank=True)
    voter_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    area = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    developer_held = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["vote", "head"], name="deliberation_roll_head"),
                   models.Index(fields=["voter_user", "vote"], name="deliberation_roll_voter")]


class Channel(models.TextChoices):
    ONLINE = "online", _("线上")
    PAPER = "paper", _("纸质选票（工作人员录入）")
    PROXY = "proxy", _("委托投票")


class Ballot(Placed):
    """One owner's (or one household's) ballot in a vote: one row per head, changed in place until the vote closes."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    head = models.CharField(max_length=24)
    voter_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    channel = models.CharField(_("方式"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    proxy_name = models.CharField(_("受托人"), max_length=60, blank=True)
    proxy_authorisation = models.CharField(_("书面委托（编号或说明）"), max_length=200, blank=True)
    secret = models.BooleanField(default=False)  # the vote's, kept here so the policy reads it on the row
    choices = models.JSONField(default=dict)  # {item id: "yes" | "no" | "abstain"}
    cast_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")
        constraints = [models.UniqueConstraint(fields=["vote", "head"], name="deliberation_one_ballot_per_owner")]


class TopicStatus(models.TextChoices):
    OPEN = "open", _("征集支持")
    AGENDA = "agenda", _("已列入议程")
    TO_VOTE = "to_vote", _("提交业主表决")
    DECIDED = "decided", _("已形成决议")
    DECLINED = "declined", _("不予采纳")


class Topic(Placed):
    """A matter raised for a compound: supported by its residents, past the threshold it goes on the agenda."""

    title = models.CharField(_("议题"), max_length=60)
    body = models.TextField(_("说明"), blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提出人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=TopicStatus.choices, default=TopicStatus.OPEN)
    threshold = models.PositiveIntegerField(_("列入议程所需支持数"), default=10)
    supporters = models.PositiveIntegerField(_("支持数"), default=0)
    outcome = models.CharField(_("处理意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        indexes = [models.Index(fields=["compound", "status", "-created_at"], name="deliberation_topic_list")]

    def __str__(self):
        return self.title


class TopicSupport(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="deliberation_support_once")]


class ResolutionStatus(models.TextChoices):
    OPEN = "open", _("待落实")
    IN_PROGRESS = "in_progress", _("落实中")
    DONE = "done", _("已完成")


class Resolution(Placed):
    """A decision turned into tracked work: who answers for it, by when, how far it has got; public in its compound."""

    title = models.CharField(_("决议事项"), max_length=80)
    topic = models.ForeignKey(Topic, verbose_name=_("议题"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="resolutions")
    vote = models.ForeignKey(Vote, verbose_name=_("表决"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="resolutions")
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("责任人"), null=True, blank=True,
                                         on_delete=models.SET_NULL, related_name="+")
    responsible_org = models.ForeignKey("orgs.Organisation", verbose_name=_("责任单位"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=12, choices=ResolutionStatus.choices,
                              default=ResolutionStatus.OPEN)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("决议")
        verbose_name_plural = _("决议")
        indexes = [models.Index(fields=["compound", "status", "due_on"], name="deliberation_resolution_list")]

    def __str__(self):
        return self.title


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("已安排")
    HELD = "held", _("已召开")


class Meeting(Placed):
    """A deliberation meeting (党群议事会) of a compound: its agenda of topics, where and when (a booked room of a
    station), who was invited and who came, its minutes and decisions."""

    title = models.CharField(_("会议名称"), max_length=80)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    booking = models.ForeignKey("stations.Booking", verbose_name=_("会议室预约"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    place_note = models.CharField(_("地点"), max_length=120, blank=True)
    invitees = models.CharField(_("参会方"), max_length=300, blank=True)
    topics = models.ManyToManyField(Topic, verbose_name=_("议程"), blank=True, related_name="meetings")
    status = models.CharField(_("状态"), max_length=10, choices=MeetingStatus.choices,
                              default=MeetingStatus.SCHEDULED)
    attendance = models.TextField(_("出席"), blank=True)
    attendees_count = models.PositiveIntegerField(_("出席人数"), default=0)
    minutes = models.TextField(_("会议纪要"), blank=True)
    decisions = models.TextField(_("议定事项"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("议事会")
        verbose_name_plural = _("议事会")
        ordering = ["-starts_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                              name="deliberation_meeting_order")]

    def __str__(self):
        return self.title


class DisputeType(models.TextChoices):
    NEIGHBOURS = "neighbours", _("邻里纠纷")
    PROPERTY_FEES = "property_fees", _("物业费纠纷")
    NOISE = "noise", _("噪音扰民")
    PARKING = "parking", _("停车纠纷")
    OTHER = "other", _("其他纠纷")


class MediationStatus(models.TextChoices):
    OPEN = "open", _("已受理")
    MEDIATING = "mediating", _("调解中")
    AGREED = "agreed", _("已达成协议")
    HANDED_OVER = "handed_over", _("已移交")
    CLOSED = "closed", _("已结案")


class HandOver(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("街道人民调解委员会")
    JUDICIAL = "judicial", _("司法所（司法调解）")
    COURT = "court", _("人民法院诉前调解")


class Mediation(Placed):
    """One dispute brought to the community's mediation (矛盾纠纷调解): its parties, the mediators assigned, its
    sessions, and how it ended (an agreement followed up, or a hand-over when mediation here failed).

    Confidential: read by the community's leadership and by its mediators alone (capability.py). The parties' names
    and phones are personal data, stored encrypted with a masked copy for lists (MediationParty)."""

    dispute_type = models.CharField(_("纠纷类型"), max_length=14, choices=DisputeType.choices)
    summary = models.CharField(_("纠纷概要"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=MediationStatus.choices,
                              default=MediationStatus.OPEN)
    # A 邻里纠纷 appeal the desk turned into this record (the appeal's page links back through `mediations`).
    appeal = models.ForeignKey("appeals.Appeal", verbose_name=_("来源诉求"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="mediations")
    agreement = models.TextField(_("调解协议"), blank=True)
    agreed_on = models.DateField(_("达成协议日期"), null=True, blank=True)
    follow_up_on = models.DateField(_("回访日期"), null=True, blank=True)
    handed_to = models.CharField(_("移交至"), max_length=12, choices=HandOver.choices, blank=True)
    handover_reason = models.CharField(_("移交原因"), max_length=300, blank=True)
    handed_over_at = models.DateTimeField(_("移交时间"), null=True, blank=True)
    closing_note = models.CharField(_("结案说明"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        indexes = [models.Index(fields=["compound", "status", "-created_at"], name="deliberation_mediation_list")]

    def __str__(self):
        return _("调解记录 %(n)s") % {"n": self.number}

    @property
    def number(self):
        return f"TJ{self.pk:05d}" if self.pk else ""


class PartySide(models.TextChoices):
    APPLICANT = "applicant", _("申请方")
    RESPONDENT = "respondent", _("被申请方")


class MediationParty(models.Model):
    """A party to a dispute: the name and phone encrypted, a masked copy for every screen before a reveal."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("当事方"), max_length=10, choices=PartySide.choices)
    name_enc = models.TextField(blank=True, editable=False)
    phone_enc = models.TextField(blank=True, editable=False)
    name_masked = models.CharField(_("姓名"), max_length=60, editable=False)
    phone_masked = models.CharField(_("电话"), max_length=20, blank=True, editable=False)

    class Meta:
        ordering = ["mediation_id", "side", "id"]

    def set_name(self, value):
        self.name_enc, self.name_masked = crypto.encrypt(value), mask_name(value)

    def set_phone(self, value):
        self.phone_enc, self.phone_masked = crypto.encrypt(value), mask_mobile(value)

    def name_clear(self):
        return crypto.decrypt(self.name_enc)

    def phone_clear(self):
        return crypto.decrypt(self.phone_enc)


class Mediator(models.Model):
    """A mediator assigned to a dispute: the relationship the declaration grants the record's work through."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="mediators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("调解员"), on_delete=models.CASCADE,
                             related_name="mediations")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mediation", "user"], name="deliberation_mediator_once")]


class SessionKind(models.TextChoices):
    SESSION = "session", _("调解")
    FOLLOW_UP = "follow_up", _("回访")


class MediationSession(models.Model):
    """A mediation session (who came, what was said) or a follow-up after the agreement or the hand-over."""

    mediation = models.ForeignKey(Mediation, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=10, choices=SessionKind.choices, default=SessionKind.SESSION)
    held_on = models.DateField(_("日期"))
    attended = models.CharField(_("参加人员"), max_length=300, blank=True)
    notes = models.TextField(_("情况记录"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_on", "id"]


class DeliberationEvent(TimelineEvent):
    """The timeline of votes, topics and resolutions (one table: an event names the record it is about)."""

    vote = models.ForeignKey(Vote, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    resolution = models.ForeignKey(Resolution, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    meeting = models.ForeignKey("deliberation.Meeting", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="events")
    mediation = models.ForeignKey(Mediation, null=True, blank=True, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        indexes = [outbox_index("deliberation_event_outbox")]
