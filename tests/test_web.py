"""matcalc serve: the JSON API over HTTP, and the page in a real browser (Chromium through Playwright).

The browser tests type into the page as a person would and read what KaTeX typeset. They
need Debian's Chromium (apt-get install chromium) and Playwright for Python (the test extra);
Playwright's own browser download is not used. Without them the browser tests are skipped
(.ci/run installs both). Each state's screenshot is saved under $MATCALC_ARTIFACTS (default:
the test's tmp_path).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from matcalc.views.web import api
from matcalc.views.web.server import STATIC, serve_in_thread, url

HEADLINE = "u^T f(W x + b)"
ANSWER = "(u ⊙ f'(W x + b)) x^T"      # the cheatsheet's ∂s/∂W
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server():
    srv, thread = serve_in_thread(0)
    yield url(srv)
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=10)


def request(base: str, path: str, body: dict | None = None, host: str | None = None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method="POST" if body is not None else "GET")
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), error.read()


# ---------------------------------------------------------------- the API, without a browser

def test_analyze_gives_the_headline_derivative(server):
    status, kind, body = request(server, "/api/analyze", {"program": HEADLINE, "wrt": ["W"]})
    data = json.loads(body)
    assert status == 200 and kind.startswith("application/json")
    (r,) = data["results"]
    assert r["text"] == ANSWER and r["shape"] == "n x m" and r["label"] == "∂s/∂W"
    assert r["latex"] == r"\frac{\partial s}{\partial W} = \left(u \odot f'(W x + b)\right) x^{\top}"
    assert [d["name"] for d in data["declarations"]] == ["u", "W", "x", "b"]
    assert {d["name"]: d["shape"] for d in data["declarations"]}["W"] == "n x m"
    assert "def f_and_grad" in data["code"]["numpy"]["source"] or "def " in data["code"]["numpy"]["source"]
    assert r["steps_latex"].startswith(r"\begin{aligned}")


def test_analyze_reports_a_parse_error_with_its_caret(server):
    data = json.loads(request(server, "/api/analyze", {"program": "u^T f(W x + ", "wrt": ["W"]})[2])
    e = data["error"]
    assert e["field"] == "program" and (e["line"], e["column"]) == (1, 12)
    assert e["text"].splitlines()[1:3] == ["  u^T f(W x + ", "             ^"]


def test_check_gives_the_diagnosis(server):
    data = json.loads(request(server, "/api/check", {"program": HEADLINE, "wrt": "W",
                                                      "claim": "-(u ⊙ f'(W x + b)) x^T"})[2])
    assert data["verdict"]["ok"] is False and data["verdict"]["reason"] == "sign"
    bad = json.loads(request(server, "/api/check", {"program": HEADLINE, "wrt": "W", "claim": "x u^T +"})[2])
    assert bad["error"]["field"] == "claim" and "^" in bad["error"]["text"]


def test_the_page_and_katex_are_served_from_the_package(server):
    status, kind, body = request(server, "/")
    assert status == 200 and kind.startswith("text/html") and b"/static/katex/katex.min.js" in body
    for name in ("app.js", "app.css", "katex/katex.min.js", "katex/katex.min.css",
                 "katex/fonts/KaTeX_Main-Regular.woff2", "katex/LICENSE"):
        status, _, body = request(server, "/static/" + name)
        assert status == 200 and body == (STATIC / name).read_bytes(), name


def test_the_server_keeps_to_itself(server):
    assert request(server, "/static/../server.py")[0] == 404
    assert request(server, "/static/%2e%2e/server.py")[0] == 404
    assert request(server, "/", host="evil.example")[0] == 403          # DNS rebinding
    assert request(server, "/api/analyze", {"program": "x"}, host="evil.example:80")[0] == 403
    assert request(server, "/api/nothing", {})[0] == 404
    assert url_host(server) == "127.0.0.1"


def url_host(base: str) -> str:
    return base.split("//")[1].split(":")[0]


def test_api_functions_never_raise_on_bad_input():
    for program in ("", "   ", "(((", "x +* y", "f(" * 3000):
        assert "error" in api.analyze(program, ["x"])
    assert api.analyze("x^T A x", ["nope"])["error"]["field"] == "wrt"
    assert api.check("x^T A x", "x", "")["error"]["field"] == "claim"
    assert api.check("x^T A x", "", "A x")["error"]["field"] == "wrt"


# ---------------------------------------------------------------- the page, in Chromium

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips
    expect = None


@pytest.fixture(scope="module")
def browser():
    # .ci/run sets MATCALC_REQUIRE_BROWSER where it installed Chromium: there a missing piece fails
    missing = pytest.fail if os.environ.get("MATCALC_REQUIRE_BROWSER") else pytest.skip
    try:
        from playwright import sync_api
    except ImportError:
        missing("Playwright for Python is not installed (pip install playwright; .ci/run installs it)")
    if not os.path.exists(CHROMIUM):
        missing("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def artifacts(tmp_path) -> Path:
    where = Path(os.environ.get("MATCALC_ARTIFACTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1100, "height": 1300})
    p = context.new_page()
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    assert not p.errors, p.errors  # no JavaScript error on the page
    context.close()


def katex_text(page, selector: str) -> str:
    """What KaTeX drew (its HTML, not the hidden MathML), without whitespace."""
    return "".join(page.inner_text(selector + " .katex-html").split()).replace("\u200b", "")


def test_typing_the_headline_example_shows_the_derivative_typeset(page, server, artifacts):
    page.goto(server + "?program=&wrt=W")
    page.type("#program", HEADLINE, delay=20)
    expect(page.locator(".derivative code")).to_have_text(ANSWER, timeout=30_000)
    assert "(u⊙f′(Wx+b))x⊤" in katex_text(page, ".derivative .math")
    annotation = page.text_content(".derivative .math annotation")  # the LaTeX KaTeX was given
    assert annotation == r"\frac{\partial s}{\partial W} = \left(u \odot f'(W x + b)\right) x^{\top}"
    assert page.is_checked("#declarations input[type=checkbox][data-name=W]")
    assert page.input_value("#declarations input.shape[data-name=W]") == "n x m"
    assert page.is_visible("#graph svg") and page.is_visible("#steps .katex")
    assert "def " in page.inner_text("#code")
    assert f"program={quote(HEADLINE, safe='')}".replace("%20", "+") in page.url and "wrt=W" in page.url
    page.screenshot(path=str(artifacts / "web-headline.png"), full_page=True)


def test_a_broken_input_shows_the_caret_while_typing(page, server, artifacts):
    page.goto(server + "?program=&wrt=W")
    page.wait_for_selector("body[data-state]")
    page.evaluate("window.stillTheSamePage = true")
    page.type("#program", "u^T f(W x + ", delay=20)
    expect(page.locator("#error-text")).to_contain_text("column 12", timeout=30_000)  # the last keystroke's
    lines = page.inner_text("#error-text").splitlines()
    assert lines[0].startswith("error: unexpected end of input at line 1, column 12")
    assert lines[2].index("^") == lines[1].index("+") + 1  # the caret just past the '+', where a term is missing
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    page.screenshot(path=str(artifacts / "web-error.png"), full_page=True)
    page.type("#program", "b)", delay=20)  # fixed: the error goes, the derivative comes
    expect(page.locator("#error")).to_be_hidden(timeout=30_000)
    expect(page.locator(".derivative code")).to_have_text(ANSWER, timeout=30_000)


def test_a_wrong_claim_shows_the_diagnosis(page, server, artifacts):
    page.goto(server + f"?program={quote(HEADLINE)}&wrt=W")
    expect(page.locator(".derivative code")).to_have_text(ANSWER, timeout=30_000)
    page.fill("#claim", "-(u ⊙ f'(W x + b)) x^T")
    page.click("#check")
    page.wait_for_selector("#verdict.refuted", timeout=30_000)
    assert page.get_attribute("#verdict", "data-reason") == "sign"
    assert f"your answer has the wrong sign: ∂s/∂W = {ANSWER}" in page.inner_text("#verdict-text")
    assert "claim=" in page.url  # the claim is shared with the link too
    page.screenshot(path=str(artifacts / "web-verdict.png"), full_page=True)
    page.fill("#claim", "x u^T")
    page.press("#claim", "Enter")
    expect(page.locator("#verdict")).to_have_attribute("data-reason", "shape", timeout=30_000)
    assert "must be n x m like W" in page.inner_text("#verdict-text")


def test_the_link_opens_with_its_program(page, server):
    """?program=…&wrt=x (SPEC §4): the gradient of x^T A x is (A + A^T) x."""
    page.goto(server + "?" + "program=" + quote("x^T A x") + "&wrt=x")
    expect(page.locator(".derivative code")).to_have_text("(A + A^T) x", timeout=30_000)
    assert page.input_value("#program") == "x^T A x"


def test_editing_a_declaration_changes_the_program(page, server):
    """W given the shape n x k in the table: the program gains the declaration, x is then typed k."""
    page.goto(server + f"?program={quote(HEADLINE)}&wrt=W")
    expect(page.locator(".derivative code")).to_have_text(ANSWER, timeout=30_000)
    page.fill("#declarations input.shape[data-name=W]", "n x k")
    page.press("#declarations input.shape[data-name=W]", "Enter")
    expect(page.locator("#program")).to_have_value(re.compile(r"^W : n x k\n"), timeout=30_000)
    expect(page.locator("#declarations input.shape[data-name=x]")).to_have_value("k", timeout=30_000)
    assert page.inner_text(".derivative code") == ANSWER


# ---------------------------------------------------------------- the command

def test_matcalc_serve_prints_its_url_and_serves(tmp_path):
    """`matcalc serve --port 0` in its own process: the URL on standard output, the page at it."""
    import subprocess
    import sys

    import matcalc
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(matcalc.__file__).parent.parent),
                                                                      os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", "matcalc", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, (line, proc.poll())
        status, _, body = request(match.group(0), "/")
        assert status == 200 and b"<textarea id=\"program\"" in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_port_in_use_is_bad_input(capsys):
    import socket

    from matcalc.cli import main
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        code = main(["serve", "--port", str(taken.getsockname()[1])])
    err = capsys.readouterr().err
    assert code == 2 and "cannot listen on 127.0.0.1:" in err and "--port" in err


def test_a_big_graph_is_not_drawn_on_the_page():
    text = " + ".join(f"a{i}^T W x{i}" for i in range(120))
    data = api.analyze(text, ["W"])
    assert "more than the page draws" in data["graph"]["error"] and data["results"][0]["shape"] == "n x m"


def test_a_variable_that_is_not_there_is_said_under_the_input(page, server):
    page.goto(server + "?program=" + quote("x^T A x") + "&wrt=W")
    expect(page.locator("#error-text")).to_contain_text('"W" is not a variable of the program', timeout=30_000)
    assert page.is_hidden("#results-section")
    page.check("#declarations input[type=checkbox][data-name=x]")  # W stays asked for: the error stays
    page.goto(server + "?program=" + quote("x^T A x") + "&wrt=x")
    expect(page.locator(".derivative code")).to_have_text("(A + A^T) x", timeout=30_000)
    assert page.is_hidden("#error")
