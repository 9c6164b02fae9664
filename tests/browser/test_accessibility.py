"""The public pages, each role's home and the appeal pages pass axe-core's WCAG 2.0/2.1 A and AA rules with no
serious or critical violation, in the standard pages and in 长辈版, in Chinese and in English; their targets are
at least 44 px; and 长辈版 on a phone at 200 % zoom (a 195 px wide page) neither scrolls sideways nor cuts
anything off. A new page is one more `assert_accessible(page)`."""
import re

import pytest

from gongzhi.accounts.models import User
from gongzhi.appeals.models import Category
from gongzhi.appeals.services import appeal_act, appeal_submit

from .axe import assert_accessible, assert_targets_at_least
from .test_appeal_walk import PHONE, SHOTS, log_in
from .test_stations_walk import stations  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser

# A phone at 200 % zoom: the same 390×844 device pixels over half the CSS pixels.
ZOOMED = {"width": PHONE["width"] // 2, "height": PHONE["height"] // 2}
HOMES = ("resident1", "rider1", "grid_worker1", "community_worker", "property1", "owners1", "member1", "street_admin")


def device(browser, base, *, elder=False, english=False, zoomed=False):
    ctx = browser.new_context(viewport=ZOOMED if zoomed else PHONE, device_scale_factor=4 if zoomed else 2,
                              is_mobile=True, has_touch=True, locale="en-US" if english else "zh-CN")
    cookies = [{"name": "gz_elder", "value": "1", "url": base}] if elder else []
    # The site's own language switch, as a visitor would have used it; a Chinese browser gets Chinese.
    cookies += [{"name": "django_language", "value": "en" if english else "zh-hans", "url": base}]
    ctx.add_cookies(cookies)
    return ctx, ctx.new_page()


def check(page, name, *, elder, english=False):
    """axe, the 44 px targets, the language and the stylesheet of the page now shown."""
    assert page.evaluate("document.documentElement.lang") == ("en" if english else "zh-CN"), name
    assert page.evaluate("document.documentElement.classList.contains('elder')") is elder, name
    # Styled: our stylesheet loaded (the header's red rule), never the browser's bare page.
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderTopStyle") == "solid", name
    assert_accessible(page, name)
    assert_targets_at_least(page, 44)
    page.screenshot(path=str(SHOTS / f"a11y-{name}.png"), full_page=True)


def no_sideways_scroll(page, name):
    width = page.evaluate("document.documentElement.clientWidth")
    wider = page.evaluate("""(w) => [...document.querySelectorAll('main *, .site-header *')]
        .filter(el => el.getBoundingClientRect().right > w + 1 && !el.closest('.site-nav ul, .tabs'))
        .map(el => el.tagName + '.' + el.className).slice(0, 5)""", width)
    assert wider == [], f"{name}: cut off at {width}px: {wider}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name


def no_english(page, name, allowed=()):
    """A Chinese page says nothing in English: any Latin word on it is a name or code from the data."""
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", page.locator("body").inner_text())) - set(allowed)
    assert not words, f"{name}: English on a Chinese page: {sorted(words)}"


@pytest.fixture
def appeal(appeal_cast):
    """resident1's lift appeal, resolved by property1 and awaiting resident1's verdict: the detail page then shows
    the reply, the timeline and the rating form."""
    c = appeal_cast
    a = appeal_submit(user=c.resident1, category=Category.objects.get(code="lift"),
                      description="1栋电梯停在8楼不动，按钮没有反应，老人上下楼很困难。", compound=c.K1)
    a = appeal_act(user=c.community_worker, appeal=a, action="dispatch", handler=c.property_co.pk)
    a = appeal_act(user=c.property1, appeal=a, action="take")
    return appeal_act(user=c.property1, appeal=a, action="resolve", note="已更换钢丝绳，电梯恢复运行。")


def test_public_pages(live_server, appeal_cast, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    for elder in (False, True):
        for english in (False, True):
            ctx, page = device(browser, base, elder=elder, english=english)
            for path, name in (("/", "landing"), ("/accounts/login/", "login"), ("/signup/", "signup"),
                               ("/accounts/recover/", "recover")):
                page.goto(base + path)
                tag = f"{name}-{'elder' if elder else 'std'}-{'en' if english else 'zh'}"
                check(page, tag, elder=elder, english=english)
                if not english:
                    no_english(page, tag, allowed={"Open311"})
            ctx.close()


def test_every_home(live_server, appeal_cast, appeal, browser):
    base, c = live_server.url, appeal_cast
    for username in HOMES:
        ctx, page = device(browser, base)
        log_in(page, base, username, c.password, "/")
        check(page, f"home-{username}", elder=False)
        if username == "rider1":
            no_english(page, "home-rider1", allowed={"rider1", "Open311"})
        User.objects.filter(username=username).update(elder_mode=True)
        page.reload()
        check(page, f"home-{username}-elder", elder=True)
        ctx.close()
    ctx, page = device(browser, base, english=True)
    log_in(page, base, "resident1", c.password, "/")
    check(page, "home-resident1-elder-en", elder=True, english=True)
    ctx.close()


@pytest.mark.parametrize("elder,english", [(False, False), (True, False), (False, True)])
def test_appeal_form_and_detail(live_server, appeal_cast, appeal, browser, elder, english):
    base, c = live_server.url, appeal_cast
    User.objects.filter(username__in=["resident1", "property1"]).update(elder_mode=elder)
    tag = f"{'elder' if elder else 'std'}-{'en' if english else 'zh'}"
    for username, paths in (("resident1", ("/appeals/new/", f"/appeals/{appeal.pk}/", "/appeals/")),
                            ("property1", (f"/appeals/{appeal.pk}/",))):
        ctx, page = device(browser, base, english=english)
        log_in(page, base, username, c.password, "/")
        for path in paths:
            page.goto(base + path)
            check(page, f"{username}{path.replace('/', '-').rstrip('-')}-{tag}", elder=elder, english=english)
        if username == "resident1":
            # The form with its errors shown: each message tied to its field.
            page.goto(base + "/appeals/new/")
            page.locator(".submit-bar button[type=submit]").click()
            page.wait_for_selector(".errorlist")
            check(page, f"resident1-appeal-errors-{tag}", elder=elder, english=english)
        ctx.close()


def test_elder_pages_at_200_percent_zoom(live_server, appeal_cast, appeal, browser):
    """The resident's home, the appeal form and its status in 长辈版 on a phone zoomed to 200 %."""
    base, c = live_server.url, appeal_cast
    User.objects.filter(username="resident1").update(elder_mode=True)
    ctx, page = device(browser, base, zoomed=True)
    page.goto(base + "/accounts/login/")
    no_sideways_scroll(page, "zoomed-login")
    log_in(page, base, "resident1", c.password, "/")
    for path, name in (("/", "home"), ("/appeals/new/", "form"), (f"/appeals/{appeal.pk}/", "detail")):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.clientWidth") == ZOOMED["width"]
        no_sideways_scroll(page, f"zoomed-{name}")
        check(page, f"zoomed-elder-{name}", elder=True)
    # The form still goes through at that size: the fields are reachable and the submit button is on the page.
    page.goto(base + "/appeals/new/")
    page.select_option("#id_category", label="电梯故障")
    page.fill("#id_description", "2栋电梯门关不上，老人出入不便。")
    page.locator(".submit-bar button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/appeals/\d+/$"))
    assert page.locator(".messages").inner_text().startswith("诉求已提交")
    no_sideways_scroll(page, "zoomed-submitted")
    ctx.close()


def test_elder_switch_on_the_login_page_stays_on(live_server, appeal_cast, browser):
    """A resident switches 长辈版 on before signing in; it is on after, on the account (another phone shows it), and
    the login page after signing out still shows it. Switched off from the user menu, it is off everywhere."""
    base, c = live_server.url, appeal_cast
    ctx, page = device(browser, base)
    page.goto(base + "/accounts/login/")
    assert not page.evaluate("document.documentElement.classList.contains('elder')")
    page.locator("form.elder-switch button").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("document.documentElement.classList.contains('elder')")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
    log_in(page, base, "resident1", c.password, "/")
    assert page.evaluate("document.documentElement.classList.contains('elder')")
    assert User.objects.get(username="resident1").elder_mode is True

    other_ctx, other = device(browser, base)  # another phone, never switched
    log_in(other, base, "resident1", c.password, "/")
    assert other.evaluate("document.documentElement.classList.contains('elder')")
    other_ctx.close()

    page.locator(".user-menu summary").click()
    page.locator("form[data-logout] button").click()
    page.wait_for_url("**/")
    page.goto(base + "/accounts/login/")
    assert page.evaluate("document.documentElement.classList.contains('elder')")

    log_in(page, base, "resident1", c.password, "/")
    page.locator(".user-menu summary").click()
    assert page.locator("form.elder-switch button").inner_text() == "退出长辈版"
    page.locator("form.elder-switch button").click()
    page.wait_for_url(f"{base}/")
    assert not page.evaluate("document.documentElement.classList.contains('elder')")
    assert User.objects.get(username="resident1").elder_mode is False
    ctx.close()


@pytest.mark.parametrize("elder", [False, True])
def test_every_page_a_resident_reaches_from_the_header(live_server, appeal_cast, appeal, browser, elder):
    """Wherever the header takes resident1 (the grid, their household, organisations, messages, their password)."""
    base, c = live_server.url, appeal_cast
    User.objects.filter(username="resident1").update(elder_mode=elder)
    ctx, page = device(browser, base)
    log_in(page, base, "resident1", c.password, "/")
    paths = page.evaluate("[...document.querySelectorAll('.site-nav a, a.inbox-link, .user-menu a')]"
                          ".map(a => new URL(a.href).pathname)")
    assert {"/grid/", "/appeals/", "/notices/", "/notifications/", "/accounts/password/"} <= set(paths), paths
    paths.append(f"/people/household/{c.H1.pk}/")
    for path in paths:
        page.goto(base + path)
        check(page, f"resident1{path.replace('/', '-').rstrip('-')}-{'elder' if elder else 'std'}", elder=elder)
    ctx.close()


@pytest.fixture
def lists_world(cast_tx):
    """resident1's need, made a published project with a free place for member1's board, and a second one
    member1 served and the community confirmed, so that the hours page has a ledger line."""
    import datetime

    from gongzhi.lists import services as lists

    c, today = cast_tx, datetime.date.today()

    def need(title):
        return lists.need_post(user=c.resident1, title=title, category="elderly", compound=c.K1.pk,
                               wanted_from=today, wanted_to=today + datetime.timedelta(days=14), people=3,
                               description="三位老人行动不便，希望有人上门理发。")

    c.open_need = need("三栋卧床老人上门理发")
    lists.project_create(user=c.community_worker, needs=[need("儿童阅读角图书整理").pk], title="儿童阅读角图书整理",
                         mode="publish", places=2)
    done = lists.project_create(user=c.community_worker, needs=[need("楼道灯维修").pk], title="楼道灯维修",
                                mode="publish", places=1)
    lists.project_take(user=c.member1, project=done)
    service = lists.service_record(user=c.member1, project=done, served_on=today, hours="1.5")
    lists.service_confirm(user=c.community_worker, service=service)
    return c


@pytest.mark.parametrize("elder,english", [(False, False), (True, False), (False, True)])
def test_three_lists_pages(live_server, lists_world, browser, elder, english):
    """The post-a-need form (and its errors), a need as its poster and as the desk sees it, the take board, my
    hours, the resources list with its offer form, the ledger with its corrections and the 双报到 page."""
    base, c = live_server.url, lists_world
    User.objects.filter(username__in=["resident1", "community_worker", "member1"]).update(elder_mode=elder)
    tag = f"{'elder' if elder else 'std'}-{'en' if english else 'zh'}"
    need = f"/lists/needs/{c.open_need.pk}/"
    for username, paths in (("resident1", ("/lists/", "/lists/needs/new/", need)),
                            ("community_worker", ("/lists/needs/", need, "/lists/ledger/", "/lists/registrations/")),
                            ("member1", ("/lists/board/", "/lists/hours/", "/lists/resources/"))):
        ctx, page = device(browser, base, english=english)
        log_in(page, base, username, c.password, "/")
        for path in paths:
            page.goto(base + path)
            check(page, f"{username}{path.replace('/', '-').rstrip('-')}-{tag}", elder=elder, english=english)
            no_sideways_scroll(page, f"{username}{path}-{tag}")
        if username == "resident1":
            page.goto(base + "/lists/needs/new/")
            page.fill("#id_title", "")
            page.locator("form.form button[type=submit]").click()
            page.wait_for_selector("[role=alert]")
            check(page, f"resident1-need-errors-{tag}", elder=elder, english=english)
        ctx.close()


@pytest.mark.parametrize("elder", [False, True])
def test_station_pages(live_server, stations, appeal_cast, browser, elder):
    """Finding a rest station (with its results), a station, a room's day with its form, and one's bookings."""
    import datetime

    from django.utils import timezone

    from gongzhi.core.workdays import LOCAL
    from gongzhi.stations.services import booking_create

    base, c = live_server.url, appeal_cast
    tag = "elder" if elder else "std"
    tomorrow = timezone.now().astimezone(LOCAL).date() + datetime.timedelta(days=1)
    start = datetime.datetime.combine(tomorrow, datetime.time(10), tzinfo=LOCAL)
    booking_create(user=c.resident1, room_id=stations["chess"].pk, starts_at=start,
                   ends_at=start + datetime.timedelta(hours=1), attendees=4, purpose="象棋练习")
    User.objects.filter(username="resident1").update(elder_mode=elder)
    ctx, page = device(browser, base, elder=elder)
    for path, name in ((f"/stations/find/?place={c.K1.pk}&amenity=charging", "find"),
                       (f"/stations/s/{stations['charger'].pk}/", "station"),
                       (f"/stations/s/{stations['soon'].pk}/", "station-soon")):
        page.goto(base + path)
        check(page, f"stations-{name}-{tag}", elder=elder)
        no_english(page, name)
    log_in(page, base, "resident1", c.password, "/")
    for path, name in ((f"/stations/rooms/{stations['chess'].pk}/?date={tomorrow:%Y-%m-%d}", "room"),
                       ("/stations/bookings/", "bookings"), ("/stations/rooms/", "rooms")):
        page.goto(base + path)
        check(page, f"stations-{name}-{tag}", elder=elder)
    # The room's form with its errors: each message on the page, read out.
    page.goto(f"{base}/stations/rooms/{stations['chess'].pk}/?date={tomorrow:%Y-%m-%d}")
    page.locator("form.form button[type=submit]").click()
    page.wait_for_selector("[role=alert], .errorlist")
    check(page, f"stations-room-errors-{tag}", elder=elder)
    ctx.close()
