"""Assistance for families in hardship (帮扶): confidential cases from a referral to follow-up, the measures of
each case's plan, and home visits (走访) to the residents the grid cares for.

Every record hangs on the grid at the household concerned (gongzhi.grid.places.Placed), so that the policy
scopes it like every other placed record. Health and financial details, findings and visit notes are stored
encrypted (gongzhi.core.crypto) and shown only through the presenter, on an audited reveal.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import crypto
from gongzhi.core.timeline import TimelineEvent, outbox_index
from gongzhi.grid.places import Placed


class MeasureKind(models.TextChoices):
    DIBAO = "dibao", _("低保申请")
    RELIEF = "relief", _("临时救助")
    MEDICAL = "medical", _("医疗救助")
    SCHOLARSHIP = "scholarship", _("助学金")
    JOB = "job", _("就业安置")
    OTHER = "other", _("其他帮扶")


class CaseType(models.TextChoices):
    """The kind of hardship: its template (typical measures, follow-up interval) is TEMPLATES below.
    (Stored as `case_type`: a grant's condition on `category` elsewhere reads every model with such a field.)"""

    LOW_INCOME = "low_income", _("生活困难")
    ILLNESS = "illness", _("因病致困")
    CHILD = "child", _("困境儿童")
    UNEMPLOYMENT = "unemployment", _("失业致困")
    DISABILITY = "disability", _("残疾致困")
    OTHER = "other", _("其他困难")


class Template:
    """What a case type usually calls for: the measures offered first, and how often the worker visits."""

    def __init__(self, measures, followup_days):
        self.measures = tuple(measures)
        self.followup_days = followup_days


TEMPLATES = {
    CaseType.LOW_INCOME: Template((MeasureKind.DIBAO, MeasureKind.RELIEF, MeasureKind.JOB), 30),
    CaseType.ILLNESS: Template((MeasureKind.MEDICAL, MeasureKind.RELIEF, MeasureKind.DIBAO), 14),
    CaseType.CHILD: Template((MeasureKind.SCHOLARSHIP, MeasureKind.DIBAO, MeasureKind.OTHER), 30),
    CaseType.UNEMPLOYMENT: Template((MeasureKind.JOB, MeasureKind.RELIEF, MeasureKind.DIBAO), 30),
    CaseType.DISABILITY: Template((MeasureKind.DIBAO, MeasureKind.MEDICAL, MeasureKind.JOB), 30),
    CaseType.OTHER: Template((MeasureKind.RELIEF, MeasureKind.OTHER), 60),
}


class Stage(models.TextChoices):
    REFERRED = "referred", _("待分派")
    VERIFYING = "verifying", _("核实中")
    NOT_ELIGIBLE = "not_eligible", _("不符合条件")
    OPEN = "open", _("帮扶中")
    CLOSED = "closed", _("已结案")


class Case(Placed):
    """A household referred as being in hardship, then verified and, where eligible, helped (帮扶个案)."""

    stage = models.CharField(_("阶段"), max_length=14, choices=Stage.choices, default=Stage.REFERRED)
    case_type = models.CharField(_("困难类型"), max_length=14, choices=CaseType.choices, blank=True)
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("转介人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    referred_at = models.DateTimeField(_("转介时间"), default=timezone.now)
    # What the referrer saw, in their words: encrypted, as it tells of a family's circumstances.
    referral_note_enc = models.TextField(blank=True, editable=False)
    # A 困难求助 appeal the desk turned into this referral (the appeal's page links back through `care_cases`).
    appeal = models.ForeignKey("appeals.Appeal", verbose_name=_("来源诉求"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="care_cases")
    applicant = models.ForeignKey("people.Resident", verbose_name=_("申请人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    household_size = models.PositiveSmallIntegerField(_("家庭人口"), null=True, blank=True)
    # Verification (入户核实).
    verified_on = models.DateField(_("核实日期"), null=True, blank=True)
    verified_with = models.CharField(_("同去人员"), max_length=100, blank=True)
    documents_seen = models.CharField(_("查验材料"), max_length=300, blank=True)
    findings_enc = models.TextField(blank=True, editable=False)
    health_enc = models.TextField(blank=True, editable=False)
    finances_enc = models.TextField(blank=True, editable=False)
    decision_reason = models.CharField(_("不符合条件的原因"), max_length=300, blank=True)
    decided_at = models.DateTimeField(_("核实结论时间"), null=True, blank=True)
    # The next follow-up visit due: kept here so that "overdue in my community" is one index range.
    next_followup_on = models.DateField(_("下次回访"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    review = models.TextField(_("结案评估"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("帮扶个案")
        verbose_name_plural = _("帮扶个案")
        indexes = [models.Index(fields=["compound", "stage", "-referred_at"], name="care_case_queue"),
                   models.Index(fields=["next_followup_on"], condition=Q(stage="open"), name="care_case_followup")]

    def __str__(self):
        return _("帮扶个案 #%(id)s") % {"id": self.pk}

    @property
    def number(self):
        return f"BF{self.pk:05d}" if self.pk else ""

    @property
    def template(self):
        return TEMPLATES.get(self.case_type)

    # Clear values: only through the presenter, which the services audit.
    def referral_note_clear(self):
        return crypto.decrypt(self.referral_note_enc)

    def findings_clear(self):
        return crypto.decrypt(self.findings_enc)

    def health_clear(self):
        return crypto.decrypt(self.health_enc)

    def finances_clear(self):
        return crypto.decrypt(self.finances_enc)


class CaseWorker(models.Model):
    """A case worker assigned to a case: the relationship the declaration grants the case's work through."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="workers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("个案工作者"), on_delete=models.CASCADE,
                             related_name="care_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("个案工作者")
        verbose_name_plural = _("个案工作者")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="care_worker_once")]

    def __str__(self):
        return f"{self.case} · {self.user}"


class Outcome(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("办理中")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


OPEN_OUTCOMES = (Outcome.PLANNED, Outcome.IN_PROGRESS)


class DibaoStage(models.TextChoices):
    """The civil-affairs stages of a minimum-allowance application, in order."""

    APPLICATION = "application", _("提出申请")
    ASSESSMENT = "assessment", _("入户调查与评议")
    PUBLIC_NOTICE = "public_notice", _("公示")
    DECISION = "decision", _("审批决定")


class Period(models.TextChoices):
    ONCE = "once", _("一次性")
    MONTHLY = "monthly", _("每月")
    TERM = "term", _("每学期")
    YEARLY = "yearly", _("每年")


class Measure(Placed):
    """One measure of a case's plan, tracked on its own. A measure sent to an outside organisation (a
    charity's scholarship) is read and decided by that organisation, and by it alone of the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施"), max_length=12, choices=MeasureKind.choices)
    title = models.CharField(_("内容"), max_length=100, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责人"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("orgs.Organisation", verbose_name=_("承办组织"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    provider_name = models.CharField(_("提供方"), max_length=100, blank=True)  # an employer, a hospital
    beneficiary_name = models.CharField(_("受助人"), max_length=50, blank=True)
    application_note = models.TextField(_("申请说明"), blank=True)  # what the organisation is sent
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, default=Outcome.PLANNED)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    period = models.CharField(_("发放方式"), max_length=8, choices=Period.choices, blank=True)
    # 低保: the civil-affairs stage reached and its dates.
    dibao_stage = models.CharField(_("低保办理阶段"), max_length=14, choices=DibaoStage.choices, blank=True)
    applied_on = models.DateField(_("申请日期"), null=True, blank=True)
    assessed_on = models.DateField(_("调查评议日期"), null=True, blank=True)
    notice_from = models.DateField(_("公示开始"), null=True, blank=True)
    notice_to = models.DateField(_("公示结束"), null=True, blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decision_note = models.CharField(_("决定说明"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # The public notice's address: unguessable, so that the notices of a community are not walked by number.
    notice_code = models.CharField(max_length=24, blank=True, db_index=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["started_on", "id"]
        verbose_name = _("帮扶措施")
        verbose_name_plural = _("帮扶措施")
        indexes = [models.Index(fields=["organisation", "outcome"], name="care_measure_org")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="care_measure_amount"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                                   name="care_measure_dates"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_open(self):
        return self.outcome in OPEN_OUTCOMES


class FollowUp(models.Model):
    """A follow-up visit of an open case: scheduled (due_on), then done (done_on, by, note)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    due_on = models.DateField(_("应回访日期"))
    done_on = models.DateField(_("回访日期"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note_enc = models.TextField(blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(done_on__isnull=True),
                                               name="care_one_pending_followup")]

    def note_clear(self):
        return crypto.decrypt(self.note_enc)


class CareVisit(Placed):
    """A home visit (走访) to a resident with a care tag, recorded by whoever went (often from a phone)."""

    resident = models.ForeignKey("people.Resident", verbose_name=_("走访对象"), on_delete=models.CASCADE,
                                 related_name="care_visits")
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("走访人"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    visited_on = models.DateField(_("走访日期"))
    note_enc = models.TextField(blank=True, editable=False)
    concern = models.BooleanField(_("发现困难"), default=False)
    raised = models.ForeignKey(Case, verbose_name=_("转介个案"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [models.Index(fields=["resident", "-visited_on"], name="care_visit_last")]

    def __str__(self):
        return _("走访 #%(id)s") % {"id": self.pk}

    def note_clear(self):
        return crypto.decrypt(self.note_enc)


EVENT_LABELS = {
    "referred": _("转介"), "assigned": _("分派个案工作者"), "unassigned": _("移除个案工作者"), "opened": _("立案帮扶"),
    "not_eligible": _("核实不符合条件"), "measure_added": _("新增措施"), "measure_sent": _("措施已交承办组织"),
    "measure_updated": _("更新措施"), "measure_decided": _("承办组织已决定"), "followup_recorded": _("记录回访"),
    "followup_due": _("回访到期提醒"), "closed": _("结案"), "reopened": _("重新开案"),
}


class CareEvent(TimelineEvent):
    """The timeline of a case (and of its measures). Notes here are about the case: internal by default."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="events")

    class Meta(TimelineEvent.Meta):
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        indexes = [outbox_index("care_event_outbox")]

    def get_action_label(self):
        return EVENT_LABELS.get(self.action, self.action)
