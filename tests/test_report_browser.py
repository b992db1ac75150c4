"""The demo report in a real browser: headless Chromium opens it, nothing breaks, nothing overflows.

No browser driver is needed: a copy of the report gets a small script that records console errors
and uncaught exceptions from the first line of the page, and on ``load`` writes what it found
(images not decoded, widths of the page and of the main column) as JSON into the DOM; Chromium's
``--dump-dom`` prints the DOM, and the test reads the JSON back. ``--screenshot`` stores the first
page as a PNG in the test's temporary directory.

The test is skipped, saying why, only when no Chromium is found (``.ci/run`` installs Debian's
``chromium`` when it runs as root).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from _demo_runs import LABELS, demo_run

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

_PROBE_HEAD = """<script>
window.__errors = [];
(function () {
  var original = console.error;
  console.error = function () { window.__errors.push(Array.prototype.join.call(arguments, ' ')); original.apply(console, arguments); };
  window.addEventListener('error', function (e) { window.__errors.push('error: ' + (e.message || (e.target && e.target.src) || 'resource')); }, true);
  window.addEventListener('unhandledrejection', function (e) { window.__errors.push('rejection: ' + e.reason); });
})();
</script>
"""

_PROBE_BODY = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var main = document.querySelector('main');
  var out = {
    errors: window.__errors,
    images: images.length,
    broken: images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.alt; }),
    viewport: window.innerWidth,
    page_width: document.documentElement.scrollWidth,
    main_client: main.clientWidth,
    main_scroll: main.scrollWidth
  };
  var pre = document.createElement('pre');
  pre.id = 'browser-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _chromium() -> str | None:
    env = os.environ.get("IEJ_CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


def _flags(profile: Path) -> list[str]:
    flags = ["--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return flags


def _browse(browser: str, page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, *_flags(profile), "--window-size=1280,1600", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def browser() -> str:
    found = _chromium()
    if found is None:
        pytest.skip("no Chromium found (looked for chromium, chromium-browser, google-chrome and $IEJ_CHROMIUM); "
                    "install it with `apt-get install -y chromium` (.ci/run does so as root)")
    return found


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> Path:
    return demo_run(tmp_path_factory.mktemp("demo-browser"), "fr", LABELS).report_path


def test_the_demo_report_renders_in_chromium(browser, demo_report, tmp_path):
    probed = demo_report.parent / "report-probe.html"  # beside the report, so the relative CSV links hold
    document = demo_report.read_text(encoding="utf-8")
    document = document.replace("<head>\n", "<head>\n" + _PROBE_HEAD, 1).replace("</body>", _PROBE_BODY + "</body>", 1)
    probed.write_text(document, encoding="utf-8")

    done = _browse(browser, probed, tmp_path / "profile", "--virtual-time-budget=10000", "--dump-dom")
    found = re.search(r"<pre id=\"browser-check\">(.*?)</pre>", done.stdout, re.S)
    assert found, f"the page's check did not run (exit {done.returncode}): {done.stderr[-2000:]}"
    check = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert check["errors"] == [], check["errors"]
    assert check["images"] >= 3 and check["broken"] == [], check
    assert check["page_width"] <= check["viewport"], f"the page scrolls sideways: {check}"
    assert check["main_scroll"] <= check["main_client"], f"the main column overflows: {check}"

    shot = tmp_path / "report-first-page.png"
    done = _browse(browser, demo_report, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
