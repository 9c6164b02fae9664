"""axe-core (node_modules/axe-core, pinned in package.json) run inside the page: `assert_accessible(page)` fails
on any serious or critical violation of WCAG 2.0/2.1 A and AA, naming each rule and the elements it found."""
from pathlib import Path

from django.conf import settings

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page):
    """The violations axe finds on the page as it is now, each {id, impact, help, nodes: [selector…]}."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        assert AXE_JS.exists(), f"{AXE_JS} is missing: `npm ci` installs axe-core"
        page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.map(n => n.target.join(' ') + '  ' + (n.failureSummary || '').split('\\n').slice(1).join(' ').trim())}));
        }""",
        WCAG_AA,
    )
    return result


def assert_accessible(page, label=""):
    """No serious or critical WCAG 2.1 AA violation on the page; the message lists every one found."""
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    where = label or page.url
    report = "\n".join(f"- [{v['impact']}] {v['id']}: {v['help']}\n" + "\n".join(f"    {n}" for n in v["nodes"][:8])
                       for v in blocking)
    assert not blocking, f"axe-core found on {where}:\n{report}"


# Interactive things a finger must hit, measured in CSS px. A link inside a sentence is exempt (WCAG 2.5.5 and
# 2.5.8 both except inline targets); a checkbox or radio counts with its labels, which take the tap too.
SMALL_TARGETS_JS = """(min) => {
    const seen = el => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
                         return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
    const inline = a => { const p = a.parentElement; return a.tagName === 'A' && getComputedStyle(a).display === 'inline'
                          && p && [...p.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()); };
    const out = [];
    for (const el of document.querySelectorAll('a[href], button, select, textarea, summary, input:not([type=hidden])')) {
        if (!seen(el) || el.closest('[hidden], .idle-warning') || inline(el)) continue;
        const shut = el.closest('details:not([open])');  // folded away: its summary is the target
        if (shut && !el.closest('summary')) continue;
        if (el.matches('input[type=file]') && el.closest('.file-pick.js')) continue;  // the styled button stands in
        let r = el.getBoundingClientRect();
        if (el.matches('input[type=checkbox], input[type=radio]')) {  // the box and its label(s), as one target
            const boxes = [r, ...[...el.labels].map(l => l.getBoundingClientRect())];
            const top = Math.min(...boxes.map(b => b.top)), bottom = Math.max(...boxes.map(b => b.bottom));
            const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
            r = {width: right - left, height: bottom - top};
        }
        if (r.height < min - 0.5 || r.width < min - 0.5)
            out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} "${(el.innerText || el.value || el.name || '').trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return out;
}"""


def assert_targets_at_least(page, px=44):
    """Every button, field, summary and stand-alone link at least `px` CSS pixels high and wide."""
    small = page.evaluate(SMALL_TARGETS_JS, px)
    assert not small, f"targets under {px}px on {page.url}: {small}"
