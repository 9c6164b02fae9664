"""ECharts draws the appeal's point on its compound, and the 楼盘表 scrolls inside its box, on a 390 px phone
(screenshots in var/screenshots/map-*.png)."""
from decimal import Decimal

import pytest

from conftest import square  # tests/conftest.py
from gongzhi.appeals.models import Category
from gongzhi.appeals.services import appeal_submit
from gongzhi.grid.models import Building, Household

from .test_appeal_walk import SHOTS, log_in, phone

pytestmark = pytest.mark.browser

PAINTED = """(sel) => {
    const canvas = document.querySelector(sel + ' canvas');
    if (!canvas) return null;
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let painted = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0) { painted++; colours.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2]); }
    }
    return {painted, colours: colours.size, width: canvas.getBoundingClientRect().width};
}"""


def _wide_elements(page, allowed=""):
    """What sticks out past the phone's right edge; the site's menus scroll sideways by design (as in shot())."""
    allowed = ", ".join(filter(None, (".tabs, .site-nav ul", allowed)))
    return page.evaluate("""(allowed) => {
        const w = document.documentElement.clientWidth;
        return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > w + 1 && !(allowed && el.closest(allowed))
                          && getComputedStyle(el).position !== 'fixed')
            .map(el => el.tagName + '.' + el.className).slice(0, 5);
    }""", allowed)


def test_appeal_point_drawn_on_its_compound(live_server, appeal_cast, browser):
    c = appeal_cast
    SHOTS.mkdir(parents=True, exist_ok=True)
    for k, (lat, lng) in ((c.K1, (24.140, 115.730)), (c.K2, (24.1425, 115.7335))):
        k.center_lat, k.center_lng, k.boundary = Decimal(str(lat)), Decimal(str(lng)), square(lat, lng)
        k.save()
    a = appeal_submit(user=c.resident1, category=Category.objects.get(code="lighting"),
                      description="路灯不亮，晚上很黑", lat=Decimal("24.1405"), lng=Decimal("115.7305"))
    ctx, page = phone(browser)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server.url, "community_worker", c.password, f"/appeals/{a.pk}/")
    page.wait_for_selector(".grid-map[data-drawn=true] canvas")
    drawn = page.evaluate(PAINTED, ".grid-map")
    # Polygons, labels and the pin: many pixels in several colours, the width of the card.
    assert drawn["painted"] > 5000 and drawn["colours"] > 5, drawn
    assert 300 <= drawn["width"] <= 390
    box = page.locator(".grid-map")
    assert box.get_attribute("role") == "img" and "宁江新城一期" in box.get_attribute("aria-label")
    assert box.get_attribute("tabindex") is None  # nothing for the keyboard to get stuck in
    assert "位置在宁江新城一期范围内" in page.locator("main").inner_text()  # the words stay
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "map-appeal.png"), full_page=True)
    box.screenshot(path=str(SHOTS / "map-appeal-box.png"))
    assert _wide_elements(page) == []
    assert errors == []

    page.goto(f"{live_server.url}/grid/community/{c.C.pk}/")
    page.wait_for_selector(".grid-map[data-drawn=true] canvas")
    assert page.evaluate(PAINTED, ".grid-map")["painted"] > 5000
    page.screenshot(path=str(SHOTS / "map-community.png"), full_page=True)
    # A tap on a compound opens it.
    x, y = page.evaluate("""() => echarts.getInstanceByDom(document.querySelector('.grid-map'))
        .convertToPixel({geoIndex: 0}, [115.7335, 24.1425])""")
    page.locator(".grid-map").click(position={"x": x, "y": y})
    page.wait_for_url(f"**/grid/compound/{c.K2.pk}/")
    page.wait_for_selector(".grid-map[data-drawn=true] canvas")
    page.screenshot(path=str(SHOTS / "map-compound.png"), full_page=True)
    ctx.close()


def test_floor_plan_scrolls_inside_its_box(live_server, cast_tx, browser):
    c = cast_tx
    SHOTS.mkdir(parents=True, exist_ok=True)
    b = Building.objects.create(compound=c.K1, code="8", name="8栋")
    for unit in (1, 2, 3):
        for floor in range(2, 13):
            for flat in (1, 2):
                Household.objects.create(building=b, code=f"{unit}-{floor:02d}{flat:02d}", address=f"8栋{unit}单元")
    Household.objects.create(building=b, code="商铺1", address="8栋商铺1")
    ctx, page = phone(browser)
    log_in(page, live_server.url, "grid_worker1", c.password, f"/grid/building/{b.pk}/")
    scroller = page.locator(".floorplan-box")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _wide_elements(page, ".floorplan-box") == []
    widths = scroller.evaluate("el => [el.clientWidth, el.scrollWidth]")
    assert widths[0] < widths[1], "six flats a floor are wider than the phone: the box scrolls"
    floor_cell = page.locator(".floorplan tbody th.floor").first
    before = floor_cell.bounding_box()["x"]
    scroller.evaluate("el => { el.scrollLeft = 200; }")
    assert floor_cell.bounding_box()["x"] == before, "the floor column stays put"
    first_flat = page.locator(".floorplan a.flat").first.bounding_box()
    assert first_flat["height"] >= 44 and first_flat["width"] >= 44
    scroller.evaluate("el => { el.scrollLeft = 0; }")
    page.screenshot(path=str(SHOTS / "map-floorplan.png"), full_page=True)
    ctx.close()
