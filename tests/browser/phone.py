"""What every phone walk checks on its pages: nothing runs off the side of the screen."""

WIDER_THAN_THE_SCREEN = """() => {
    const w = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > w + 1 && getComputedStyle(el).position !== 'fixed'
                      && !el.closest('.tabs, .site-nav ul'))
        .map(el => el.tagName + '.' + el.className).slice(0, 5);
}"""


def assert_fits_phone(page, name):
    """No element past the screen's right edge (the scrolling nav and tabs aside), and no sideways scroll."""
    overflow = page.evaluate(WIDER_THAN_THE_SCREEN)
    assert overflow == [], f"{name}: wider than the phone: {overflow}"
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
