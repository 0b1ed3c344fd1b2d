"""`pulse explore` in a real browser: headless Chromium (Debian's package) driven by Selenium.

One server, started by the test on a free loopback port over a small generated lake and
warehouse; every view must load without a browser-console error, a breakdown must change the
trend chart, and each view's screenshot is saved to test-artefacts/explore/ (or
$PULSE_TEST_ARTEFACTS/explore/).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from explore.app import VIEWS
from explore.query import LakeSession
from ingest.lake import open_lake
from ingest.load.loader import load_batches
from ingest.run import IngestOptions, ingest
from ingest.tables import log_tables
from warehouse.dbt import run_dbt
from warehouse.target import Target

REPO = Path(__file__).resolve().parents[1]
START, DAYS, USERS = dt.date(2026, 9, 28), 28, 100
MARTS = "+rpt_retention_weekly +rpt_retention_monthly +rpt_perf_version_regression +rpt_experiment_results"
INSTALL_HINT = ("the browser tests need Debian's headless Chromium and its driver: "
                "`apt-get install -y chromium chromium-driver` (as root), then rerun")


def artefacts() -> Path:
    folder = Path(os.environ.get("PULSE_TEST_ARTEFACTS", REPO / "test-artefacts")) / "explore"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> tuple[Path, Target]:
    """Four weeks of simulator logs, ingested and loaded, and only the marts the views read."""
    import simulator

    work = tmp_path_factory.mktemp("explore-browser")
    target = Target("duckdb", duckdb_path=str(work / "warehouse.duckdb"))
    simulator.generate(work / "raw", START, days=DAYS, users=USERS, seed=11, progress=False)
    dates = [START + dt.timedelta(days=i) for i in range(DAYS)]
    ingest(work / "raw", work / "lake", dates, IngestOptions(runner="inline"))
    load_batches(target, open_lake(work / "lake"), [d.isoformat() for d in dates],
                 ["events", *log_tables()])
    run_dbt(["build", "--quiet", "--select", MARTS, "--resource-type", "model", "--resource-type", "seed"],
            target=target, capture=True)
    with LakeSession(work / "lake", work / "cache") as session:
        session.open_all()  # the Parquet mirrors, as a `pulse query` leaves them
    return work, target


@pytest.fixture(scope="module")
def server(data) -> str:
    work, target = data
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "PULSE_DUCKDB_PATH": target.duckdb_path}
    log = open(work / "explore.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "explore", "--lake", str(work / "lake"),
                             "--cache", str(work / "cache"), "--port", str(port), "--target", "duckdb"],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"pulse explore did not come up: {(work / 'explore.log').read_text()[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(INSTALL_HINT)
    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,1400"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(driver), options=options)
    yield d
    d.quit()


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def wait_for_view(browser, view: str) -> str:
    """Wait until the view has run its SQL; return the timing line."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def done(d):
        text = d.find_element(By.ID, f"{view}-time").text
        return text if " ms · " in text or "error" in text else False

    text = WebDriverWait(browser, 30).until(done)
    WebDriverWait(browser, 10).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, f"#{view}-graph .main-svg"))
    return text


def trend_traces(browser) -> int:
    from selenium.webdriver.common.by import By

    return len(browser.find_elements(By.CSS_SELECTOR, "#trends-graph .scatterlayer .trace"))


def test_every_view_loads_without_console_errors_and_a_breakdown_changes_the_chart(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "tab-trends"))
    out = artefacts()
    timings = {}
    for view in VIEWS:
        browser.find_element(By.ID, f"tab-{view}").click()
        timings[view] = wait_for_view(browser, view)
        assert "error" not in timings[view], (view, timings[view])
        sql = browser.find_element(By.ID, f"{view}-sql").text
        assert "select" in sql and ("from events" in sql or "from marts." in sql
                                    or "from perf_timings" in sql), (view, sql)
        assert int(timings[view].split(" · ")[1].split()[0]) > 0, (view, timings[view])  # rows
        browser.save_screenshot(str(out / f"{view}.png"))
        assert console_errors(browser) == [], view

    browser.find_element(By.ID, "tab-trends").click()
    wait_for_view(browser, "trends")
    assert trend_traces(browser) == 1  # no breakdown: one line
    browser.find_element(By.ID, "trends-breakdown1").click()
    # the dropdown focuses its search box once it has rendered (slower on a busy machine):
    # typing before that would go to the page
    WebDriverWait(browser, 30).until(lambda d: d.switch_to.active_element.tag_name == "input")
    search = browser.switch_to.active_element
    search.send_keys("platform")
    search.send_keys(Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: trend_traces(d) > 1)
    assert "platform as b1" in browser.find_element(By.ID, "trends-sql").text
    legend = browser.find_element(By.CSS_SELECTOR, "#trends-graph .legend").text
    assert "web" in legend and "ios" in legend
    browser.save_screenshot(str(out / "trends-breakdown.png"))
    assert console_errors(browser) == []
