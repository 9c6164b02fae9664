"""What a notification says. Written once, when the worker creates it, in the language the notifications app
sets for its reader (the one they chose, else the site's)."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.appeals.models import Rating
from gongzhi.appeals.presenter import public_view
from gongzhi.appeals.services import shorten
from gongzhi.appeals.workflow import TRANSITIONS

from .recipients import CALLED, OLD_HANDLER, REPORTER

TITLES = {
    "submit": gettext_lazy("新诉求待受理"),
    "accept": gettext_lazy("诉求已受理"),
    "dispatch": gettext_lazy("收到新派单"),
    "reassign": gettext_lazy("收到改派的诉求"),
    "return": gettext_lazy("诉求被退单"),
    "take": gettext_lazy("诉求已接单办理"),
    "hold": gettext_lazy("诉求已挂起"),
    "resume": gettext_lazy("诉求恢复办理"),
    "request_extension": gettext_lazy("承办单位申请延期"),
    "grant_extension": gettext_lazy("延期申请已同意"),
    "refuse_extension": gettext_lazy("延期申请未获同意"),
    "reply": gettext_lazy("诉求有新答复"),
    "resolve": gettext_lazy("诉求已办结，请核查"),
    "verify": gettext_lazy("诉求已核查通过"),
    "reject_result": gettext_lazy("办理结果未被认可"),
    "close": gettext_lazy("诉求已结案"),
    "reject": gettext_lazy("诉求不予受理"),
    "reopen": gettext_lazy("诉求已重启"),
    "rate": gettext_lazy("诉求收到评价"),
    "chase": gettext_lazy("居民催办超期诉求"),
    "supplement": gettext_lazy("居民补充了诉求内容"),
    "withdraw": gettext_lazy("居民已撤回诉求，无需再办理"),
    "note": gettext_lazy("诉求有新的内部备注"),
    "supervise": gettext_lazy("诉求被督办"),
    "whistle": gettext_lazy("诉求已吹哨"),
    "whistle_report": gettext_lazy("部门报到反馈"),
    "remind": gettext_lazy("诉求即将超过办结时限"),
    "escalate": gettext_lazy("诉求已超期，升级督办"),
    "recategorise": gettext_lazy("诉求分类已调整"),
}
# Wording for one party where it differs from the title above.
TITLES_FOR = {
    ("accept", REPORTER): gettext_lazy("您的诉求已受理"),
    ("take", REPORTER): gettext_lazy("您的诉求已有人接单办理"),
    ("reply", REPORTER): gettext_lazy("您的诉求有新答复"),
    ("resolve", REPORTER): gettext_lazy("您的诉求已办结，请确认并评价"),
    ("verify", REPORTER): gettext_lazy("您的诉求已核查通过，请评价"),
    ("close", REPORTER): gettext_lazy("您的诉求已结案"),
    ("reject", REPORTER): gettext_lazy("您的诉求不予受理"),
    ("reassign", OLD_HANDLER): gettext_lazy("诉求已改派给其他单位"),
    ("whistle", CALLED): gettext_lazy("街道吹哨：请部门报到"),
}

TITLE_MAX = 200
NOTE_EXCERPT = 500


def appeal_url(appeal_id):
    return f"/appeals/{appeal_id}/"


def message(event, party):
    """{"title", "body"} for one party; the event's note only when it is not internal.

    Messages leave the system (e-mail) and stay in inboxes: the appeal's title and the note are written as
    anyone may read them (appeals.presenter.public_view), every personal identifier masked.
    """
    appeal = event.appeal
    shown = public_view(appeal)
    phrase = TITLES_FOR.get((event.action, party)) or TITLES.get(event.action)
    if phrase is None:
        transition = TRANSITIONS.get(event.action)
        phrase = transition.label if transition else event.action
    title = _("%(what)s：%(title)s") % {"what": phrase, "title": shown.title}
    lines = [_("诉求编号：%s") % appeal.number, _("分类：%s") % appeal.category.label,
             _("小区：%s") % appeal.compound.name]
    rating = (event.data or {}).get("rating")
    if event.action == "rate" and rating in Rating.values:
        lines.append(_("评价：%s") % Rating(rating).label)
    if event.note and not event.internal:
        note = shorten(shown.text(event.note), NOTE_EXCERPT)  # masked first: a number cut short is not found
        lines.append(_("说明：%s") % note)
    elif event.internal:
        lines.append(_("内部备注内容请登录系统查看。"))
    return {"title": title[:TITLE_MAX], "body": "\n".join(lines)}
