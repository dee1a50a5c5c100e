"""Plotly under a strict CSP: its stylesheet as a file, and its inline styles switched off.

plotly.js adds its CSS rules through an inline ``<style id="plotly.js-style-global">``,
which a CSP without ``'unsafe-inline'`` blocks. plotly.js skips that step when the
page already has an element with that id and the class ``no-inline-styles``, so
the dashboard links ``static/vendor/plotly-global.css`` under that id. The file
is plotly's own rules, read out of a real browser by :func:`extract_global_css`
(``python -m dashboards.plotly_assets`` rewrites it after a plotly upgrade; a
test checks its version header against the installed plotly.min.js).

The bundle also carries maplibre, which injects its CSS at load unless an
element with its id exists; we draw no maps, so the pages carry an empty
element with that id (read from the bundle by :func:`maplibre_style_id`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import plotly

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
GLOBAL_CSS = Path(__file__).parent / "static" / "vendor" / "plotly-global.css"


@functools.cache
def plotly_js_version() -> str:
    """The plotly.js version in the installed bundle's banner."""
    with PLOTLY_JS.open(encoding="utf-8") as f:
        head = f.read(200)
    match = re.search(r"plotly\.js v([\w.\-]+)", head)
    return match.group(1) if match else "unknown"


@functools.cache
def maplibre_style_id() -> str | None:
    """The id maplibre's injected ``<style>`` uses (checked before injecting)."""
    text = PLOTLY_JS.read_text(encoding="utf-8")
    pattern = r'getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement'
    match = re.search(pattern, text)
    return match.group(1) if match else None


def css_version(path: Path = GLOBAL_CSS) -> str | None:
    """The plotly.js version written in the stylesheet's header."""
    if not path.exists():
        return None
    match = re.search(r"plotly\.js v([\w.\-]+)", path.read_text(encoding="utf-8")[:300])
    return match.group(1) if match else None


def extract_global_css(chromium: str = "/usr/bin/chromium") -> str:
    """Draw one plot in a browser without CSP and read back plotly's global rules."""
    from playwright.sync_api import sync_playwright

    page_html = (
        "<!doctype html><html><head></head><body><div id='p'></div>"
        f"<script>{PLOTLY_JS.read_text(encoding='utf-8')}</script>"
        "<script>Plotly.newPlot('p', [{x: [1, 2], y: [1, 2]}]);</script></body></html>"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-background-networking"]
        )
        page = browser.new_page()
        page.set_content(page_html)
        rules = page.evaluate(
            "[...document.getElementById('plotly.js-style-global').sheet.cssRules]"
            ".map(r => r.cssText)"
        )
        browser.close()
    header = (
        f"/* plotly.js v{plotly_js_version()}: the global rules plotly.js would inject inline,\n"
        "   read from a browser by `python -m dashboards.plotly_assets`. Do not edit. */\n"
    )
    return header + "\n".join(rules) + "\n"


if __name__ == "__main__":
    GLOBAL_CSS.write_text(extract_global_css(), encoding="utf-8")
