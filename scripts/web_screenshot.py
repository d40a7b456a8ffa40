"""Regenerate docs/serve.png, the README's picture of `matcalc serve` (Chromium via Playwright).

    python scripts/web_screenshot.py [docs/serve.png]

The page of the headline example with a wrong claim checked; Debian's /usr/bin/chromium.
"""
import sys
from urllib.parse import quote

from playwright.sync_api import expect, sync_playwright

from matcalc.views.web.server import serve_in_thread, url

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "docs/serve.png"
    server, _ = serve_in_thread(0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1040}, device_scale_factor=1)
        page.goto(url(server) + "?program=" + quote("u^T f(W x + b)") + "&wrt=W&claim=" + quote("x (u ⊙ f'(W x + b))^T"))
        expect(page.locator("#verdict.refuted")).to_be_visible(timeout=30_000)
        page.screenshot(path=out)
        browser.close()
    server.shutdown()
    print(out)


if __name__ == "__main__":
    main()
