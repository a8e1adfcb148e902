"""`advisor report` and `advisor history --format html`: the page, its charts and its safety.

The page tests need the optional extra `report` (Jinja2, vl-convert-python). The browser tests open the
pages in headless Chromium, driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`, no
port), with every request sent through a recording proxy on loopback: the charts render (the screenshot
is not blank), no request leaves the page, and the page fits a 1280 px screen and a phone. They run when
Chromium is installed, and must run when ADVISOR_E2E=1 (CI), where a missing Chromium is a failure.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import queue
import re
import shutil
import socketserver
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import run_cli
from test_history import GIT_ENV, PROVIDER, Repo, app

E2E = os.environ.get("ADVISOR_E2E") == "1"
CHROMIUM = (
    os.environ.get("ADVISOR_E2E_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)

try:
    import jinja2  # noqa: F401
    import vl_convert  # noqa: F401

    HAVE_REPORT = True
except ImportError:
    HAVE_REPORT = False

needs_report = pytest.mark.skipif(
    not HAVE_REPORT and not E2E,
    reason="the optional extra 'report' (Jinja2, vl-convert-python) is not installed",
)

EVIL = "<img src=x onerror=alert(1)>"
STACK = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Logs:
    Type: AWS::EC2::Volume
    Properties:
      AvailabilityZone: us-east-1a
      VolumeType: io1
      Size: 400
      Iops: 4000
"""


SAFE_TAGS = {"html", "head", "meta", "link", "title", "style", "body", "main", "header", "h1", "h2", "h3", "section",
             "div", "p", "span", "strong", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
             "img", "details", "summary"}  # fmt: skip


def tags(page: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of the page with its attributes, as a browser's tokenizer reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collect().feed(page)
    return found


def attributes(page: str, names: set[str]) -> list[str]:
    return [value or "" for _, attrs in tags(page) for name, value in attrs if name in names]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A few commits: a root module, a module folder whose name is markup, a stack; one subject too."""
    repo = Repo(tmp_path_factory.mktemp("report") / "repo")
    repo.write("app/main.tf", app(100, None, None))
    repo.commit("Add the data volume", "2026-09-01")
    repo.write("app/main.tf", app(300, "m5.xlarge", None))
    repo.commit(f"Grow the volume {EVIL}", "2026-09-12")
    repo.write(
        f"team {EVIL}/main.tf", PROVIDER + 'resource "aws_nat_gateway" "main" {\n  subnet_id = "s"\n}\n'
    )
    repo.write("stacks/logs.yaml", STACK)
    repo.commit("Add the logs stack and the team's NAT gateway", "2026-10-03")
    repo.write(
        "app/main.tf",
        app(300, "m5.xlarge", None) + 'resource "aws_sagemaker_endpoint" "e" {\n  name = "e"\n}\n',
    )
    repo.commit("Add an endpoint", "2026-10-20")
    return repo


def report(repo: Repo, out: Path, *args: str) -> str:
    r = repo.cli("report", *args, "--output", str(out))
    assert r.returncode == 0, r.stderr
    return out.read_text(encoding="utf-8")


@needs_report
def test_the_report_states_the_engine_figures_and_is_self_contained(project: Repo, tmp_path: Path):
    page = report(
        project, tmp_path / "report.html", "--svg", str(tmp_path / "svg"), "--png", str(tmp_path / "png")
    )
    cost = json.loads(project.cli("cost", "--format", "json").stdout)
    lint = json.loads(project.cli("lint", "--format", "json", "--fail-on", "never").stdout)
    total = f"${cost['total']:,.2f}"
    assert total in page and f"${lint['summary']['monthly_savings']:,.2f}" in page
    # nothing to fetch: no script, no external address in any attribute, a policy that allows neither
    assert "<script" not in page.lower()
    assert "default-src 'none'" in page and "img-src data:" in page
    links = attributes(page, {"src", "href", "action", "srcset", "poster", "data"})
    assert links and all(value.startswith("data:") for value in links), links
    assert {tag for tag, _ in tags(page)} <= SAFE_TAGS
    # repository text is escaped by the template engine, in the tables and in the charts' labels
    assert EVIL not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    # findings largest saving first, with their fixes as diffs of the file
    savings = [f["monthly_savings"] or 0 for f in lint["findings"]]
    top = max(savings)
    assert page.index(f"saves ${top:,.2f}/mo") < min(
        page.index(f"saves ${s:,.2f}/mo") for s in savings if 0 < s < top
    )
    assert '<span class="del">-      VolumeType: io1</span>' in page
    assert '<span class="add">+      VolumeType: gp3</span>' in page
    # not priced, and the price sources with their dates
    assert "aws_sagemaker_endpoint.e" in page and cost["pricing"]["as_of"] in page
    # the charts as files
    assert {p.name for p in (tmp_path / "svg").iterdir()} == {"treemap.svg", "services.svg"}
    for png in (tmp_path / "png").iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import xml.etree.ElementTree as ET

    treemap = ET.parse(tmp_path / "svg" / "treemap.svg").getroot()
    labels = " ".join(t.text or "" for t in treemap.iter() if t.tag.endswith("text"))
    assert "aws_instance.web" in labels and "Logs" in labels


def test_a_root_priced_only_by_usage_says_so_and_never_zero(tmp_path: Path) -> None:
    """A root whose resources all bill by usage (Lambda, log groups without usage configured) reads
    "depends on usage" in the report's table and summary, as in the text bill; a root with a resource
    of unknown price says how many beside its sum."""
    from advisor.budget import RootedAnalysis
    from advisor.engine import Options, analyze_paths
    from advisor.report.html import figures, render_markdown

    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "main.tf").write_text(
        'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "r"\n  memory_size = 512\n}\n'
    )
    (tmp_path / "servers").mkdir()
    (tmp_path / "servers" / "main.tf").write_text(
        'variable "size" {}\n'
        'resource "aws_instance" "a" {\n  ami = "x"\n  instance_type = "m5.large"\n}\n'
        'resource "aws_instance" "b" {\n  ami = "x"\n  instance_type = var.size\n}\n'
    )
    rooted = RootedAnalysis(analyze_paths([str(tmp_path)], Options()))
    shown = {os.path.basename(g["name"]): g["shown"] for g in figures(rooted).groups}
    # m5.large $0.096/h × 730 h, and its 8 GB gp2 root volume at $0.10 per GB-month
    assert shown == {"functions": "depends on usage", "servers": "$70.88 + 1 unknown"}
    summary = render_markdown(rooted, None)
    assert "| depends on usage |" in summary and "| $70.88 + 1 unknown |" in summary


@needs_report
def test_report_with_history_and_the_markdown_summary(project: Repo, tmp_path: Path):
    metrics = tmp_path / "business.csv"
    metrics.write_text("month,units,revenue\n2026-09,1000,9000\n2026-10,1000,9000\n", encoding="utf-8")
    page = report(
        project,
        tmp_path / "r.html",
        "--history",
        "--markdown",
        str(tmp_path / "summary.md"),
        "--metrics",
        str(metrics),
    )
    # October cost more for the same orders: its row is marked, and the cost per unit is charted
    assert page.count('<tr class="outgrew">') == 1 and 'alt="Cost per unit by month"' in page
    history = json.loads(project.cli("history", "--format", "json").stdout)
    assert "Cost over time" in page and "What moved the total" in page
    for c in history["commits"]:
        assert c["commit"][:12] in page and f"${c['monthly_cost']:,.2f}" in page
    assert "Grow the volume &lt;img" in page
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith(f"### Advisor: ${history['commits'][-1]['monthly_cost']:,.2f} per month")
    # markup from the repository is shown, never rendered: escaped in text, or inside a code span
    outside_code = re.sub(r"`[^`]*`", "", summary)
    assert "<img" not in outside_code and "&lt;img" in outside_code and "`team <img" in summary
    page = project.cli("history", "--format", "html").stdout
    assert "<script" not in page.lower() and "&lt;img src=x" in page and "data:image/svg+xml;base64," in page


def test_without_the_extra_the_command_says_how_to_install_it(project: Repo, tmp_path: Path):
    blocker = tmp_path / "blocked"
    (blocker / "jinja2").mkdir(parents=True)
    (blocker / "jinja2" / "__init__.py").write_text("raise ImportError('not installed', name='jinja2')\n")
    r = run_cli("report", cwd=project.path, env={**GIT_ENV, "PYTHONPATH": str(blocker)})
    assert r.returncode == 2 and "pip install 'advisor-iac[report]'" in r.stderr and "jinja2" in r.stderr
    r = run_cli("history", "--format", "html", cwd=project.path, env={**GIT_ENV, "PYTHONPATH": str(blocker)})
    assert r.returncode == 2 and "advisor-iac[report]" in r.stderr
    r = run_cli(
        "history",
        "--format",
        "json",
        "--max-commits",
        "1",
        cwd=project.path,
        env={**GIT_ENV, "PYTHONPATH": str(blocker)},
    )
    assert r.returncode == 0  # only the HTML needs the extra


# -- headless Chromium ------------------------------------------------------------------------------------
class _Recorder(http.server.BaseHTTPRequestHandler):
    """A proxy that answers every request with 404 and remembers what was asked."""

    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_CONNECT = do_HEAD = _any

    def log_message(self, *args: Any) -> None:
        pass


class Browser:
    """Headless Chromium over the DevTools protocol on a pipe (fd 3 in, fd 4 out)."""

    def __init__(self, binary: str, profile: Path, proxy: int) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        args = [
            binary,
            "--headless=new",
            "--remote-debugging-pipe",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--no-pings",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-features=OptimizationHints,MediaRouter,Translate,NetworkTimeServiceQuerying",
            f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{proxy}",
            "--proxy-bypass-list=<-loopback>",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        self.proc = subprocess.Popen(
            [*args, "about:blank"],
            preexec_fn=wire,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self.targets: dict[str, str] = {}
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "id" in message:
                    with self._cond:
                        self._replies[message["id"]] = message
                        self._cond.notify_all()
                else:
                    self.events.put(message)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        with self._cond:
            if not self._cond.wait_for(lambda: ident in self._replies, timeout=60):
                raise TimeoutError(method)
            reply = self._replies.pop(ident)
        assert "error" not in reply, reply
        result: dict[str, Any] = reply["result"]
        return result

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        while True:
            event = self.events.get(timeout=timeout)
            if event.get("method") == method:
                return event

    def open(self, url: str, width: int, height: int, mobile: bool) -> tuple[str, list[str]]:
        """Load `url` in a new tab of that size; (session, every URL the page requested)."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.targets[session] = target
        self.send("Network.enable", session)
        self.send("Page.enable", session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        while not self.events.empty():
            self.events.get()
        self.send("Page.navigate", session, url=url)
        requested: list[str] = []
        while True:
            event = self.events.get(timeout=60)
            if event.get("sessionId") != session:
                continue
            if event["method"] == "Network.requestWillBeSent":
                requested.append(event["params"]["request"]["url"])
            if event["method"] == "Page.loadEventFired":
                break
        self.evaluate(session, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return session, requested

    def evaluate(self, session: str, expression: str) -> Any:
        reply = self.send(
            "Runtime.evaluate", session, expression=expression, awaitPromise=True, returnByValue=True
        )
        return reply["result"].get("value")

    def screenshot(self, session: str, clip: dict[str, float] | None = None) -> bytes:
        """A PNG of the viewport, or of `clip` (x, y, width, height, scale) anywhere on the page."""
        params: dict[str, Any] = {"format": "png"}
        if clip is not None:
            params["captureBeyondViewport"] = True
            params["clip"] = clip
        return base64.b64decode(self.send("Page.captureScreenshot", session, **params)["data"])

    def whole_page(self, session: str) -> bytes:
        width, height = self.evaluate(
            session, "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        return self.screenshot(session, {"x": 0, "y": 0, "width": width, "height": height, "scale": 1})

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG such as Chromium writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 4
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and body[12] == 0, "8-bit, non-interlaced"
            channels = {2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def colourful_share(png: bytes) -> float:
    """The share of pixels that are neither white-ish nor grey: chart marks, not page background."""
    width, height, rows = png_pixels(png)
    channels = len(rows[0]) // width
    colourful = 0
    step = 1 if width <= 1000 else 3
    for row in rows[:: max(1, height // 200)]:
        for x in range(0, width, step):
            r, g, b = row[x * channels], row[x * channels + 1], row[x * channels + 2]
            if max(r, g, b) - min(r, g, b) > 40:
                colourful += 1
    sampled = len(rows[:: max(1, height // 200)]) * len(range(0, width, step))
    return colourful / sampled


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    if not CHROMIUM:
        if E2E:
            pytest.fail("ADVISOR_E2E=1 but Chromium is not installed (apt-get install chromium)")
        pytest.skip("Chromium is not installed (set ADVISOR_E2E=1 to require it)")
    if not HAVE_REPORT:
        if E2E:
            pytest.fail("ADVISOR_E2E=1 but the optional extra 'report' is not installed")
        pytest.skip("the optional extra 'report' (Jinja2, vl-convert-python) is not installed")
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"), server.server_address[1])
    try:
        b.send("Target.setDiscoverTargets", discover=False)
        yield b
    finally:
        b.close()
        server.shutdown()
        server.server_close()


def test_the_harness_sees_a_request_and_a_blank_page(browser: Browser, tmp_path: Path):
    """The checks below can fail: a page that fetches an image is caught, a blank page is blank."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><body><img src="http://example.invalid/x.png"></body>')
    _Recorder.seen.clear()
    _session, requested = browser.open(page.as_uri(), 800, 600, False)
    assert "http://example.invalid/x.png" in requested
    assert any("example.invalid" in line for line in _Recorder.seen)  # and it reached the proxy, not the web
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><body><p>text only</p></body>")
    session, _ = browser.open(blank.as_uri(), 800, 600, False)
    assert colourful_share(browser.screenshot(session)) == 0.0


@pytest.mark.parametrize(("width", "height", "mobile"), [(1280, 900, False), (390, 844, True)])
def test_report_and_history_pages_render_offline_and_fit_the_screen(
    browser: Browser, project: Repo, tmp_path: Path, width: int, height: int, mobile: bool
):
    pages = {
        "report": report(project, tmp_path / "report.html", "--history"),
        "history": project.cli("history", "--format", "html").stdout,
    }
    (tmp_path / "history.html").write_text(pages["history"], encoding="utf-8")
    for name in pages:
        _Recorder.seen.clear()
        url = (tmp_path / f"{name}.html").as_uri()
        session, requested = browser.open(url, width, height, mobile)
        assert [u for u in requested if u != url and not u.startswith("data:")] == []
        # the proxy sees the browser's own traffic too (connectivity checks): none of it is the page's
        assert not [
            line for line in _Recorder.seen if "example" in line or "vega" in line or "jsdelivr" in line
        ]
        images = browser.evaluate(
            session,
            "[...document.images].map(i => { const r = i.getBoundingClientRect();"
            " return [i.complete, i.naturalWidth, r.left + scrollX, r.top + scrollY, r.width, r.height]; })",
        )
        assert images, f"{name}: no chart"
        for done, natural, x, y, w, h in images:
            assert done and natural > 0 and x + w <= width + 0.5, (name, width)
            chart = browser.screenshot(session, {"x": x, "y": y, "width": w, "height": h, "scale": 1})
            assert colourful_share(chart) > 0.002, f"{name}: a chart at {width} px looks blank"
        # no sideways scrolling of the page, and text no smaller than 11 px
        assert browser.evaluate(session, "document.documentElement.scrollWidth") <= width
        smallest = browser.evaluate(
            session,
            "Math.min(...[...document.querySelectorAll('td, th, p, li, span, code, h1, h2, h3')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize)))",
        )
        assert smallest >= 11
        assert browser.evaluate(session, "document.title").startswith("Advisor")
        (tmp_path / f"{name}-{width}.png").write_bytes(browser.whole_page(session))
        browser.send("Target.closeTarget", targetId=browser.targets.pop(session))
    if os.environ.get("ADVISOR_SCREENSHOTS"):  # where to keep them (the README's picture comes from here)
        for shot in tmp_path.glob("*.png"):
            shutil.copy(shot, Path(os.environ["ADVISOR_SCREENSHOTS"]) / shot.name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
