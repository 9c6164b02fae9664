"""A handful of notices for the Xincheng demo: the community's, a compound's, the sub-district's.

Plan: `plan.notices`, drawn from the shared stream (which compounds, how many days ago, which are pinned), so
the same seed gives the same notices. Load: written through the services as the community worker or the
sub-district admin (drafted, then published; one left a draft, one already expired), with the timeline muted:
history tells nobody.
"""
import datetime

from django.utils import timezone

from gongzhi.core import timeline

from . import services
from .models import Kind, Notice

# (kind, title, body, level of its place, days it stands or None, publish it)
TEXTS = (
    (Kind.NOTICE, "关于{compound}二次供水水箱清洗停水的通知",
     "各位居民：\n\n为保障饮用水卫生，{compound}将于本周六上午8:00至12:00清洗二次供水水箱，期间暂停供水。\n\n"
     "请提前做好储水准备，恢复供水初期如水质发黄，请放水片刻后再使用。给您带来不便，敬请谅解。",
     "compound", 7, True),
    (Kind.PUBLICITY, "{compound}2025年度公共收益收支情况公示",
     "根据业主大会议事规则，现将{compound}2025年度电梯广告、停车场等公共收益的收支情况予以公示，"
     "明细表张贴于小区公告栏及物业服务中心。\n\n公示期为10天。如有疑问，请向业主委员会或社区居委会反映。",
     "compound", 10, True),
    (Kind.ACTIVITY, "党群驿站周末书法、剪纸公益课开始报名",
     "新城社区党群驿站本月每周六下午开设书法、剪纸公益课，老少皆宜，免费参加。\n\n"
     "请到社区党群驿站或联系所在小区网格员报名，每期限20人。",
     "community", None, True),
    (Kind.REMINDER, "回南天防潮及用电安全温馨提示",
     "近期天气潮湿，请关好门窗、开启除湿，注意地面湿滑防止摔倒。\n\n"
     "楼道内严禁电动车充电和堆放杂物；发现电线老化、漏电，请及时联系物业或拨打社区值班电话。",
     "community", 30, True),
    (Kind.NOTICE, "福兴街道关于开展春季爱国卫生运动的通知",
     "各社区、各小区：\n\n街道将于本月开展春季爱国卫生运动，重点清理楼道堆积物、卫生死角和积水容器。\n\n"
     "请各小区物业配合社区做好宣传和清理工作，欢迎居民踊跃参与志愿服务。",
     "subdistrict", None, True),
    (Kind.NOTICE, "春节期间社区服务时间安排",
     "春节假期期间，社区居委会实行值班制度，每天9:00至17:00有工作人员值班。\n\n紧急事项请拨打社区值班电话。",
     "community", -20, True),
    (Kind.ACTIVITY, "社区邻里节活动方案（征求意见稿）",
     "社区拟于下月举办邻里节，包括美食分享、二手交换和亲子游戏等活动。\n\n方案尚在征求各小区意见，定稿后另行通知。",
     "community", None, False),
)


def plan_notices(plan):
    rng = plan.rng
    n = len(plan.compounds)
    out = []
    for i, (kind, title, body, level, stands, publish) in enumerate(TEXTS):
        compound = rng.randrange(n) if level == "compound" else None
        # Put up some days ago, still standing (the one with a negative term is long expired).
        days_ago = 45 if stands and stands < 0 else rng.randint(1, min(12, (stands or 13) - 1))
        out.append({"text": i, "compound": compound, "days_ago": days_ago,
                    "pinned": publish and kind == Kind.NOTICE and rng.random() < 0.5})
    plan.notices = out


def load_notices(plan):
    loaded = plan.loaded
    users = loaded.users
    now = timezone.now()
    made = 0
    with timeline.muted():
        for p in plan.notices:
            kind, title, body, level, stands, publish = TEXTS[p["text"]]
            if level == "compound":
                node = loaded.compounds[p["compound"]]
            else:
                node = loaded.subdistrict if level == "subdistrict" else loaded.community
            author = users["street_admin"] if level == "subdistrict" else users["community_worker"]
            words = {"compound": node.name}
            notice = services.notice_create(user=author, title=title.format(**words), body=body.format(**words),
                                            kind=kind, reach=[node], pinned=p["pinned"])
            if publish:
                notice = services.notice_publish(user=author, notice_id=notice.pk, version=notice.version)
            # Laid back in time as though put up some days ago (the services stamp "now").
            at = now - datetime.timedelta(days=p["days_ago"])
            expires = at + datetime.timedelta(days=abs(stands)) if stands else None
            Notice.objects.filter(pk=notice.pk).update(
                created_at=at, updated_at=at, published_at=at if publish else None, expires_at=expires)
            notice.events.update(at=at)
            made += 1
    return {"notices": made}
