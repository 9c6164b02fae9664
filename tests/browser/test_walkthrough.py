"""A community worker logs in and browses the grid down to a household, on a desktop and on a phone.

Screenshots go to var/screenshots/. The test also checks that Chinese is
drawn with real glyphs: two different characters must render differently
(missing fonts draw the same empty box for both), and Chromium must report
Noto Sans CJK as the font it used for the page heading.
"""
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser

SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

# Draws each character on a canvas in the page's own font and returns the pixels: equal pixels for
# different characters (or for a character and an unassigned code point) mean tofu boxes.
GLYPHS_JS = """
([chars, size]) => {
  const font = `${size}px ${getComputedStyle(document.body).fontFamily}`;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size * 2;
  const ctx = canvas.getContext('2d');
  return chars.map((ch) => {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = font;
    ctx.fillStyle = '#000';
    ctx.textBaseline = 'top';
    ctx.fillText(ch, 4, 4);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0, sig = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { ink++; sig = (sig * 31 + i * data[i]) % 1000000007; } }
    return {ch, ink, sig, width: ctx.measureText(ch).width};
  });
}
"""


def assert_chinese_renders(page):
    drawn = page.evaluate(GLYPHS_JS, [["共", "治", "网", "格", "\u0378"], 32])
    cjk, notdef = drawn[:4], drawn[4]
    assert all(d["ink"] > 30 for d in cjk), drawn
    assert len({d["sig"] for d in cjk}) == 4, f"different characters drew the same shape (tofu): {drawn}"
    assert all(d["sig"] != notdef["sig"] for d in cjk), drawn
    # And the font Chromium actually used for the heading's text is Noto Sans CJK (fonts-noto-cjk).
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    assert any("CJK" in f["familyName"] and f["glyphCount"] > 0 for f in fonts), fonts


def log_in(page, base, cast):
    page.goto(f"{base}/accounts/login/")
    assert page.title().startswith("登录")
    page.fill("#id_username", "community_worker")
    page.fill("#id_password", cast.password)
    page.locator("form.form button[type=submit]").click()
    page.wait_for_url(f"{base}/")  # the desk's home
    page.goto(f"{base}/grid/")


def test_community_worker_browses_to_a_household(live_server, cast_tx, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    cast = cast_tx
    cast.K1.boundary = {"type": "Polygon", "coordinates": [[[115.7285, 24.1392], [115.7318, 24.1388], [115.7322, 24.1415],
                                                             [115.7301, 24.1421], [115.7283, 24.1410], [115.7285, 24.1392]]]}
    cast.K1.center_lat, cast.K1.center_lng = 24.1404, 115.7302
    cast.K1.save()

    # Desktop: follow the links community → compound → building → household.
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, cast)
    assert page.locator("h1").inner_text() == "网格"
    page.screenshot(path=str(SHOTS / "desktop-1-tree.png"), full_page=True)

    # htmx expands a compound's buildings in place.
    page.locator("li.compound", has_text="宁江新城一期").locator("summary").click()
    page.locator("li.compound", has_text="宁江新城一期").get_by_role("link", name="1栋").wait_for()

    page.get_by_role("link", name="新城社区", exact=True).click()
    page.wait_for_url(f"{base}/grid/community/{cast.C.pk}/")
    page.get_by_role("link", name="宁江新城一期", exact=True).first.click()
    page.wait_for_url(f"{base}/grid/compound/{cast.K1.pk}/")
    assert "grid_worker1" in page.content()
    page.wait_for_selector(".grid-map[data-drawn=true] canvas")  # its boundary, drawn by ECharts
    page.screenshot(path=str(SHOTS / "desktop-2-compound.png"), full_page=True)
    page.locator("table").get_by_role("link", name="1栋", exact=True).click()
    page.wait_for_url(f"{base}/grid/building/{cast.B1.pk}/")
    page.locator(f'a[href="/people/household/{cast.H1.pk}/"]').first.click()  # its cell in the 楼盘表
    page.wait_for_url(f"{base}/people/household/{cast.H1.pk}/")

    members = page.locator("table.members tbody tr")
    assert members.count() == 2
    assert "张伟" in members.nth(0).inner_text() and "户主" in members.nth(0).inner_text()
    assert "李娜" in members.nth(1).inner_text() and "配偶" in members.nth(1).inner_text()
    assert "138****5678" in page.content()
    assert_chinese_renders(page)
    page.screenshot(path=str(SHOTS / "desktop-3-household.png"), full_page=True)

    # Reveal a phone number in place (htmx): the clear value appears, marked as audited.
    members.nth(0).locator("form:has(input[value=phone]) button").click()
    page.get_by_text("13800135678").wait_for()
    assert page.get_by_text("已记入审计日志").count() == 1
    context.close()

    # Phone, 390×844: the same household; nothing sticks out sideways, tables become cards.
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, base, cast)
    page.screenshot(path=str(SHOTS / "phone-1-tree.png"), full_page=True)
    page.goto(f"{base}/people/household/{cast.H1.pk}/")
    assert page.locator("table.members tbody tr").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("table.members thead").is_hidden()  # rows are stacked cards
    tap = page.locator("nav.site-nav a").first.bounding_box()
    assert tap["height"] >= 44
    assert_chinese_renders(page)
    page.screenshot(path=str(SHOTS / "phone-2-household.png"), full_page=True)

    # Search as you type (htmx) by an exact phone number finds the resident, masked.
    page.goto(f"{base}/people/search/")
    page.fill("#id_q", "13800135678")
    page.locator("#results", has_text="张伟").wait_for()
    assert "138****5678" in page.locator("#results").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "phone-3-search.png"), full_page=True)
    context.close()
