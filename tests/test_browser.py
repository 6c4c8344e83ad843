"""Every built page in headless Chromium (Debian's, driven by Playwright): no axe-core violations
of WCAG 2.2 A and AA, a clean load under the page's CSP, no horizontal scroll, full keyboard use
with a visible focus, and a navigation that opens and works on a small screen without JavaScript.

One browser serves the whole session, with one reusable tab for each set-up.
"""

import pytest

from laceps import toolchain

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 768, 1280)
DESKTOP = {"width": 1280, "height": 800}
SMALL_PHONE = {"width": 320, "height": 640}

# Collects the page's CSP violations; Playwright's init scripts run whatever the policy says.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) =>
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`));
"""

# The elements that should take focus from Tab, each with its look when not focused.
TAB_STOPS = """() => {
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  window.tabStops = [...document.querySelectorAll(selector)].filter((el) => el.getClientRects().length);
  return window.tabStops.map((el) => ({html: el.outerHTML.slice(0, 100), look: focusLook(el)}));
}"""
# What tells a sighted keyboard user where the focus is.
FOCUS_LOOK = """window.focusLook = (el) => {
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0
    ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : "none";
  return {outline, boxShadow: style.boxShadow, background: style.backgroundColor};
};"""
FOCUSED = """() => {
  const el = document.activeElement;
  return {index: window.tabStops.indexOf(el), onPage: el !== document.body,
          html: el.outerHTML.slice(0, 100), look: focusLook(el)};
}"""

HORIZONTAL_OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const wide = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > width + 0.5);
  return {scrollWidth: document.documentElement.scrollWidth, width, widest: wide.slice(-3).map((el) => el.outerHTML.slice(0, 100))};
}"""


@pytest.fixture(scope="session")
def axe_source():
    return toolchain.require(toolchain.AXE).read_text(encoding="utf-8")


def reusable_tab(browser, **options):
    """A tab in its own browser context, reused by every test of one kind: navigating a tab
    is several times faster than opening a new one. Tests reset the viewport they rely on."""
    context = browser.new_context(**options)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_init_script(FOCUS_LOOK)
    return context.new_page()


@pytest.fixture(scope="session")
def desktop_tab(browser):
    return reusable_tab(browser, viewport=DESKTOP)


@pytest.fixture
def desktop(desktop_tab):
    desktop_tab.set_viewport_size(DESKTOP)
    return desktop_tab


@pytest.fixture(scope="session")
def phone_without_javascript(browser):
    return reusable_tab(browser, viewport=SMALL_PHONE, java_script_enabled=False)


@pytest.fixture(scope="session")
def phone_for_axe(browser):
    # axe goes in as an inline script, which the pages' policy forbids.
    return reusable_tab(browser, viewport=SMALL_PHONE, bypass_csp=True)


@pytest.fixture
def url(served_site, site_page):
    return served_site.url + site_page


def open_settled(page, url):
    """Open the page and let its scripts, if it has any, finish changing it."""
    page.goto(url)
    if page.locator("script[src]").count():
        page.wait_for_load_state("networkidle")


def test_no_axe_violations(phone_for_axe, axe_source, url):
    page = phone_for_axe  # at phone width, where most of the families are
    open_settled(page, url)
    page.add_script_tag(content=axe_source)
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes']][:5]}" for v in result["violations"]
    ]
    assert not violations, "\n".join(violations)


def test_loads_cleanly_under_its_content_security_policy(desktop, served_site, url):
    problems = []
    listeners = {
        "console": lambda m: m.type == "error" and problems.append(f"console: {m.text}"),
        "pageerror": lambda error: problems.append(f"page error: {error}"),
        "requestfailed": lambda r: problems.append(f"failed: {r.url} ({r.failure})"),
        "response": lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
        "request": lambda r: r.url.startswith(served_site.url + "/") or problems.append(f"other origin: {r.url}"),
    }
    for event, listener in listeners.items():
        desktop.on(event, listener)
    try:
        desktop.goto(url, wait_until="networkidle")  # late requests (the icon, a script's) count too
    finally:
        for event, listener in listeners.items():
            desktop.remove_listener(event, listener)
    problems += [f"CSP violation: {v}" for v in desktop.evaluate("window.cspViolations")]
    assert not problems, "\n".join(problems)


def test_no_horizontal_scroll(desktop, url):
    desktop.goto(url)
    overflows = {}
    for width in WIDTHS:
        desktop.set_viewport_size({"width": width, "height": 800})
        overflow = desktop.evaluate(HORIZONTAL_OVERFLOW)
        if overflow:
            overflows[width] = overflow
    assert not overflows, f"scrolls sideways (width: what sticks out): {overflows}"


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(desktop, url):
    desktop.goto(url)
    desktop.keyboard.press("Tab")
    first = desktop.evaluate("""() => {
      const el = document.activeElement, box = el.getBoundingClientRect();
      return {href: el.getAttribute("href"), text: el.textContent.trim(),
              onScreen: box.width > 1 && box.top >= 0 && box.bottom <= innerHeight};
    }""")
    assert first["href"] == "#main", f"the first Tab stop is {first}, not the skip link"
    assert first["onScreen"], "the skip link stays off screen when focused"
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.tagName + '#' + document.activeElement.id") == "MAIN#main"


def test_every_control_is_reachable_by_tab_and_visibly_focused(desktop, url):
    open_settled(desktop, url)
    stops = desktop.evaluate(TAB_STOPS)
    reached, invisible = set(), []
    for _ in range(len(stops) + 1):
        desktop.keyboard.press("Tab")
        focused = desktop.evaluate(FOCUSED)
        if not focused["onPage"] or focused["index"] in reached:
            break  # past the last stop: the focus left the page or came round again
        reached.add(focused["index"])
        if focused["index"] >= 0 and focused["look"] == stops[focused["index"]]["look"]:
            invisible.append(focused["html"])
    unreachable = [stop["html"] for index, stop in enumerate(stops) if index not in reached]
    assert not unreachable, f"not reachable with Tab: {unreachable}"
    assert not invisible, f"no visible change when focused: {invisible}"


def test_navigation_works_at_320px_without_javascript(phone_without_javascript, url):
    page = phone_without_javascript
    page.goto(url)
    page.locator("header details > summary").click()  # the menu is a <details>: it opens without a script
    links = page.locator("header nav a")
    targets = [link.get_attribute("href") for link in links.all()]
    assert targets, "no navigation links in the header"
    for index, target in enumerate(targets):
        box = links.nth(index).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= SMALL_PHONE["width"], f"{target} is off screen"
        links.nth(index).click(trial=True, timeout=2000)  # fails if the link is hidden or covered
    elsewhere = next(index for index, target in enumerate(targets) if target != url)
    links.nth(elsewhere).click()
    page.wait_for_url(targets[elsewhere], timeout=2000)
