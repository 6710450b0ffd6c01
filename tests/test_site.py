"""`paretobot site`, as a reader meets it: built from the real files in ../shared/data and the real
H200 sweeps, opened from disk in Debian's headless Chromium driven by Selenium (chromium-driver),
clicked through overview -> configuration -> compare. The figures on the pages are checked
against values computed here from the raw files and the shared README's price table; hostile
names must stay text everywhere (HTML, the data files, Plotly's labels); a shared link must
reopen the same comparison; a fleet-sized site must filter and search."""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import statistics
from pathlib import Path

import pytest

from bot import cli
from bot.app.site import PAIRED_BUILDS, compare_pairs
from tests.conftest import AGENTIC, AGG, RAW, SHARED, VLLM_CPU

DATA = Path(__file__).parent / "data"
H200 = DATA / "h200" / "results"
REAL_VLLM = DATA / "real" / "vllm"
CI_HISTORY = SHARED / "inferencex" / "ci-history"
HOSTILE = '<img src=x onerror="window.pwned=1">"><script>window.pwned=2</script>&amp;{{7*7}}'
HOSTILE_BUILD = "<b>0.32</b>"
LLAMA = "llama-1b-random/bf16/h200/transformers"
# the shared README's price table for the H200 (kW all-in; $/GPU-hour hyperscaler)
H200_KW, H200_HYPERSCALER = 1.73, 1.41


# ---- independent figures, from the raw files ---------------------------------------------------


def _sglang(setting: str, repeat: str, concurrency: int) -> dict:
    (folder,) = (H200 / f"{setting}-{repeat}").iterdir()
    return json.loads((folder / "r0" / f"c{concurrency}.jsonl").read_text().splitlines()[-1])


def _throughputs(setting: str) -> list[list[float]]:
    """Each run's total tokens/s per concurrency (one GPU), from SGLang's own output."""
    return [
        [
            _sglang(setting, r, c)["input_throughput"] + _sglang(setting, r, c)["output_throughput"]
            for c in (1, 16, 64)
        ]
        for r in ("r0", "r1", "r2")
    ]


def _geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


# ---- the browser ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not chromium or not driver_bin:
        why = "chromium and chromium-driver are needed (scripts/setup_chromium.sh installs both)"
        if os.environ.get("PARETOBOT_REQUIRE_CHROMIUM"):
            pytest.fail(why)
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--allow-file-access-from-files"):  # fmt: skip
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_bin), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait(driver, test, timeout: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(lambda d: test(d))


def drawn(driver, chart: str) -> int:
    """How many traces Plotly drew in the chart (the SVG's own trace groups)."""
    return driver.execute_script(
        "var n = document.getElementById(arguments[0]);"
        "return n ? n.querySelectorAll('.scatterlayer .trace').length : 0;",
        chart,
    )


def errors(driver) -> list[str]:
    """The page's console errors (a CSP refusal, a script error), favicon misses aside."""
    return [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]


def not_blank(path: Path) -> int:
    """Distinct colours in the screenshot (a blank page has one or two)."""
    from PIL import Image

    with Image.open(path) as image:
        return len(image.convert("RGB").getcolors(maxcolors=1 << 20) or [])


def has_colour(path: Path, rgb: tuple[int, int, int]) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        return any(c == rgb for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20) or [])


def screenshot(driver, name: str, tmp: Path) -> Path:
    """Saved by the run: under $PARETOBOT_TEST_ARTIFACTS when set (CI keeps it), else tmp."""
    folder = Path(os.environ.get("PARETOBOT_TEST_ARTIFACTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    driver.save_screenshot(str(path))
    return path


# ---- the site from real data -----------------------------------------------------------------


def run(*args: object) -> int:
    return cli.main([str(a) for a in args])


@pytest.fixture(scope="module")
def real_site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("real")
    db = ["--db", f"sqlite:///{tmp}/store.db"]
    # 4 of its files say no framework version: quarantined (exit 1), the rest stored
    assert run("ingest", CI_HISTORY, *db) == 1
    assert run("ingest", AGG, AGENTIC, *db) == 0
    gptoss = ["--hardware", "h100", "--precision", "mxfp4", "--framework", "vllm"]
    assert run("ingest", RAW, *gptoss, "--framework-version", "v0.11.0", *db) == 0
    cpu = ["--hardware", "cpu", "--precision", "bf16", "--framework", "vllm", "--isl", "128",
           "--gpus", "1", "--framework-version", "0.32.0"]  # fmt: skip
    assert run("ingest", VLLM_CPU, *cpu, *db) == 0
    for setting in ("eager", "sdpa"):
        folders = [H200 / f"{setting}-{r}" for r in ("r0", "r1", "r2")]
        assert run("ingest", *folders, "--framework-version", f"5.17.0+{setting}", *db) == 0
    assert run("ingest", H200 / "oom-r0", *db) == 0
    # a hostile model name and build, on two builds of the real vLLM sweep (other bytes each)
    for version, extra in ((HOSTILE_BUILD, ""), ("0.33", "\n")):
        folder = tmp / f"hostile-{len(extra)}"
        folder.mkdir()
        for path in REAL_VLLM.glob("c*.json"):
            (folder / path.name).write_text(path.read_text() + extra)
        hostile = ["--model", HOSTILE, "--hardware", "h200", "--precision", "bf16",
                   "--gpus", "1", "--framework", "vllm", "--isl", "128",
                   "--framework-version", version]  # fmt: skip
        assert run("ingest", folder, *hostile, *db) == 0
    # the digest records what it finds (triage states, shown on the pages)
    assert run("digest", "--since", "3650d", *db) == 0
    out = tmp / "site"
    assert run("site", out, "--title", "paretobot <test>", *db) == 0
    return out


def test_reader_clicks_overview_configuration_compare(real_site, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get((real_site / "index.html").as_uri())
    wait(browser, lambda d: d.find_element(By.ID, "shown").text)
    configs = browser.find_elements(By.CSS_SELECTOR, "#configs tbody tr")
    assert (
        browser.find_element(By.ID, "shown").text
        == f"{len(configs)} of {len(configs)} configurations shown"
    )
    # worst first: the H200 configuration's newest build (the out-of-memory job) broke
    first = configs[0].find_elements(By.TAG_NAME, "td")
    assert first[0].text == "breakage" and LLAMA in first[1].text
    assert "paretobot <test>" in browser.title  # the title is text, escaped
    shot = screenshot(browser, "site-overview.png", tmp_path)
    assert not_blank(shot) > 20

    # -> the configuration
    first[1].find_element(By.TAG_NAME, "a").click()
    wait(browser, lambda d: drawn(d, "pareto") > 0 and drawn(d, "history") > 0)
    assert browser.find_element(By.CSS_SELECTOR, "h1.slug").text.startswith(LLAMA)
    # every run's points are drawn: 6 runs x 3 concurrencies, each a marker
    points = browser.execute_script(
        "return document.querySelectorAll('#pareto .scatterlayer .trace .points path').length"
    )
    assert points == 18
    # the frontier table: eager's highest-throughput point, its cost and tokens per MW from the
    # shared README's table (the H200's $1.41/GPU-hour hyperscaler price, 1.73 kW all-in)
    top = max(max(run) for run in _throughputs("eager"))
    rows = [r.get_attribute("textContent") for r in browser.find_elements(
        By.CSS_SELECTOR, "#frontier-table tbody tr")]  # fmt: skip
    row = next(r for r in rows if f"{top:.1f}" in r)
    assert "5.17.0+eager" in row
    assert f"{H200_HYPERSCALER / (top * 3600 / 1e6):.3f}" in row
    assert f"{top * 1000 / H200_KW:,.0f}" in row
    shot = screenshot(browser, "site-configuration.png", tmp_path)
    assert not_blank(shot) > 50 and has_colour(shot, (0x00, 0x72, 0xB2))  # the first build drawn

    # -> compare: eager (the older build) against SDPA, picked as a reader does
    browser.find_element(By.ID, "compare-link").click()
    wait(browser, lambda d: d.find_element(By.ID, "pick-base").get_attribute("value"))
    Select(browser.find_element(By.ID, "pick-base")).select_by_visible_text(
        "transformers 5.17.0+eager"
    )
    Select(browser.find_element(By.ID, "pick-cand")).select_by_visible_text(
        "transformers 5.17.0+sdpa"
    )
    wait(browser, lambda d: d.find_element(By.ID, "verdict").text.startswith("regression"))
    wait(browser, lambda d: drawn(d, "compare-chart") > 0)
    peak = _peak_row(browser)
    eager = _geomean([max(r) for r in _throughputs("eager")])
    sdpa = _geomean([max(r) for r in _throughputs("sdpa")])
    assert peak[1] == f"{(sdpa / eager - 1) * 100:+.1f}%"
    assert (peak[3], peak[4], peak[5]) == (f"{eager:.2f}", f"{sdpa:.2f}", "3 vs 3")
    low, high = (float(x.rstrip("%")) for x in peak[2].split(".."))
    assert low < (sdpa / eager - 1) * 100 < high < 0
    # the chart's CSV: both builds' points, 18 rows under the header
    csv = browser.execute_script("return PB.csv('compare-chart')").splitlines()
    assert len(csv) == 19 and csv[0].startswith("build,run,repeat,concurrency")
    shot = screenshot(browser, "site-compare.png", tmp_path)
    assert not_blank(shot) > 50
    assert errors(browser) == []

    # the shared link reopens the same comparison, in a fresh page
    shared = browser.current_url
    browser.get("about:blank")
    browser.get(shared)
    wait(browser, lambda d: d.find_element(By.ID, "verdict").text.startswith("regression"))
    assert Select(browser.find_element(By.ID, "pick-base")).first_selected_option.text == (
        "transformers 5.17.0+eager"
    )
    assert _peak_row(browser) == peak
    # the other way round was not estimated: the page says so and how to get it; Swap goes back
    browser.find_element(By.ID, "swap").click()
    wait(browser, lambda d: "press Swap" in d.find_element(By.ID, "status").text)
    assert browser.find_element(By.ID, "command").text.endswith(
        "--baseline 5.17.0+sdpa --candidate 5.17.0+eager"
    )
    browser.find_element(By.ID, "swap").click()
    wait(browser, lambda d: d.find_element(By.ID, "verdict").text.startswith("regression"))


def _peak_row(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    row = browser.find_element(By.CSS_SELECTOR, "#estimates tbody tr")
    return [c.text for c in row.find_elements(By.CSS_SELECTOR, "th, td")]


def test_hostile_names_stay_text(real_site, browser):
    from selenium.webdriver.common.by import By

    for page in real_site.glob("*.html"):  # escaped where rendered, never raw
        assert HOSTILE not in page.read_text() and HOSTILE_BUILD not in page.read_text()
    browser.get((real_site / "index.html").as_uri())
    wait(browser, lambda d: d.find_element(By.ID, "shown").text)
    link = next(
        a for a in browser.find_elements(By.CSS_SELECTOR, "#configs a") if "onerror" in a.text
    )
    assert link.text.startswith(HOSTILE)
    link.click()
    wait(browser, lambda d: drawn(d, "pareto") > 0)
    assert browser.find_element(By.CSS_SELECTOR, "h1.slug").text.startswith(HOSTILE)
    legend = [e.get_attribute("textContent") for e in browser.find_elements(
        By.CSS_SELECTOR, "#pareto .legendtext")]  # fmt: skip
    assert f"vllm {HOSTILE_BUILD} frontier" in legend  # Plotly drew the tags as text
    browser.find_element(By.ID, "compare-link").click()
    wait(browser, lambda d: drawn(d, "compare-chart") > 0)
    options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, "#pick-cand option")]
    assert f"vllm {HOSTILE_BUILD}" in options
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "img[src=x], #result b, .legendtext b") == []
    assert errors(browser) == []


def test_a_shared_link_to_a_configuration_not_in_the_site_says_so(real_site, browser):
    from selenium.webdriver.common.by import By

    browser.get((real_site / "compare.html").as_uri() + "#c=000000000000&b=x&n=y")
    wait(browser, lambda d: "No configuration" in d.find_element(By.ID, "status").text)
    browser.get((real_site / "compare.html").as_uri() + "#c=../../etc/passwd")
    wait(browser, lambda d: "No configuration" in d.find_element(By.ID, "status").text)
    # the one thing the browser tried to load: the well-formed id's missing file, nothing else
    (missing,) = errors(browser)
    assert "data/000000000000.js" in missing and "ERR_FILE_NOT_FOUND" in missing


# ---- the site's files, without a browser ------------------------------------------------------


def _data(site: Path, config_id: str) -> dict:
    text = (site / "data" / f"{config_id}.js").read_text()
    assert text.startswith("PB.add(") and text.endswith(");\n")
    return json.loads(text[len("PB.add(") : -3])


def test_the_pages_give_the_estimates_paretobot_compare_gives(real_site, capsys):
    """Every precomputed pair of the H200 configuration against `paretobot compare --json`."""
    db = f"sqlite:///{real_site.parent}/store.db"
    index = json.loads((real_site / "data" / "index.js").read_text()[len("PB.index(") : -3])
    (entry,) = [c for c in index if c["slug"].startswith(LLAMA)]
    data = _data(real_site, entry["id"])
    builds = {b["id"]: b for b in data["builds"]}
    assert len(data["compare"]) == 3  # 3 builds: every pair, older as the baseline
    for pair, shown in data["compare"].items():
        base, cand = (builds[i]["selector"] for i in pair.split("-"))
        capsys.readouterr()
        assert run("compare", "--config", LLAMA, "--baseline", base, "--candidate", cand,
                   "--json", "--db", db) == 0  # fmt: skip
        (verdict,) = json.loads(capsys.readouterr().out)
        assert (shown["verdict"], shown["reason"]) == (verdict["verdict"], verdict["reason"])
        if verdict["comparison"]:
            assert shown["comparison"]["peak"]["ratio"] == verdict["comparison"]["peak"]["ratio"]
            assert shown["comparison"]["peak"]["low"] == verdict["comparison"]["peak"]["low"]
        # the command, as a shell reads it back, names exactly this pair
        assert shlex.split(shown["command"]) == [
            "paretobot", "compare", "--config", data["slug"], "--baseline", base,
            "--candidate", cand,
        ]  # fmt: skip


def test_out_must_be_empty_or_a_site_written_before(real_site, capsys, tmp_path):
    db = f"sqlite:///{real_site.parent}/store.db"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    capsys.readouterr()
    assert run("site", mine, "--db", db) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err and str(mine) in err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    # a site written before is replaced whole: a configuration gone leaves no page behind
    again = tmp_path / "again"
    assert run("site", again, "--db", db) == 0
    before = len(list(again.glob("config-*.html")))
    assert run("site", again, "--db", db, "--config", LLAMA) == 0
    assert before > 1 and len(list(again.glob("config-*.html"))) == 1
    assert run("site", tmp_path / "none", "--db", db, "--config", "nothing-like-it") == 1
    assert not (tmp_path / "none").exists()
    # nothing left beside it: no half-written or moved-aside site
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "mine"]


def test_an_empty_store_is_one_line(paretobot, tmp_path):
    done = paretobot("site", tmp_path / "site")
    assert done.code == 1 and done.err.startswith("paretobot: no results stored")
    assert done.err.count("\n") == 1


def test_pairs_compared_at_build_time():
    assert compare_pairs(1) == []
    assert compare_pairs(3) == [(0, 1), (0, 2), (1, 2)]
    # 8 builds: every pair among the newest 6 (builds 2..7: 15), and builds 0 and 1 each against
    # the build after it and the newest: (0, 1), (0, 7), (1, 2), (1, 7)
    n = PAIRED_BUILDS + 2
    assert len(compare_pairs(n)) == 15 + 4
    assert (0, 5) not in compare_pairs(n) and (1, 2) in compare_pairs(n)
    assert all(a < b for a, b in compare_pairs(40))  # older baseline, newer candidate
    assert len(compare_pairs(40)) == 15 + 2 * 34  # builds 0..33: against the next and the newest


# ---- a fleet-sized site ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fleet_site(tmp_path_factory) -> Path:
    """700 configurations (35 models x 5 GPUs x 4 tensor-parallel sizes), two builds each, from
    InferenceX agg_bmk.json lists built on a real entry (benchmarks/listing.py's fleet)."""
    from benchmarks.listing import write_fleet

    tmp = tmp_path_factory.mktemp("fleet")
    files = tmp / "files"
    files.mkdir()
    write_fleet(files, models=35, runs=2)
    db = ["--db", f"sqlite:///{tmp}/store.db"]
    assert run("ingest", files, *db) == 0
    assert run("site", tmp / "site", *db) == 0
    return tmp / "site"


def test_a_fleet_filters_and_searches(fleet_site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    assert len(list(fleet_site.glob("config-*.html"))) == 700
    browser.get((fleet_site / "index.html").as_uri())
    shown = lambda: browser.find_element(By.ID, "shown").text  # noqa: E731
    wait(browser, lambda d: shown() == "700 of 700 configurations shown")
    Select(browser.find_element(By.CSS_SELECTOR, "select[data-facet=hardware]")).select_by_value(
        "h100"
    )
    wait(browser, lambda d: shown() == "140 of 700 configurations shown")
    browser.find_element(By.ID, "q").send_keys("model07")
    wait(browser, lambda d: shown() == "4 of 700 configurations shown")
    visible = [
        r.text
        for r in browser.find_elements(By.CSS_SELECTOR, "#configs tbody tr")
        if r.is_displayed()
    ]
    assert len(visible) == 4 and all("model07" in r and "/h100/" in r for r in visible)
    # the filtered view is a link too
    filtered = browser.current_url
    assert "hardware=h100" in filtered and "q=model07" in filtered
    browser.get("about:blank")
    browser.get(filtered)
    wait(browser, lambda d: shown() == "4 of 700 configurations shown")
    browser.find_element(By.CSS_SELECTOR, "button[type=reset]").click()
    wait(browser, lambda d: shown() == "700 of 700 configurations shown")
    # by keyboard alone: Tab reaches the skip link first, then the search box, which filters
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get((fleet_site / "index.html").as_uri())
    ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.text == "Skip to content"
    for _ in range(10):
        if browser.switch_to.active_element.get_attribute("id") == "q":
            break
        ActionChains(browser).send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("id") == "q"
    ActionChains(browser).send_keys("model12").perform()
    wait(browser, lambda d: shown() == "20 of 700 configurations shown")
    next(
        a for a in browser.find_elements(By.CSS_SELECTOR, "#configs a") if a.is_displayed()
    ).click()
    wait(browser, lambda d: drawn(d, "pareto") > 0 and drawn(d, "history") > 0)
    assert errors(browser) == []


# ---- history: a step, found and marked -----------------------------------------------------------


def test_history_marks_a_step_and_the_change_recorded_for_it(browser, tmp_path):
    """Ten builds, two runs each, every throughput 15% lower from the seventh build on (and a
    1% rise per build, and jitter, as benchmarks/listing.py writes them)."""
    from selenium.webdriver.common.by import By

    from benchmarks.listing import write_fleet

    files = tmp_path / "files"
    files.mkdir()
    write_fleet(files, models=1, runs=20, per_build=2, step_at=6, step=0.85)
    db = ["--db", f"sqlite:///{tmp_path}/store.db", "--config", "model00/fp4/h200/vllm/tp8"]
    assert run("ingest", files, db[0], db[1]) == 0
    assert run("digest", "--since", "3650d", *db) == 0
    assert run("site", tmp_path / "site", *db) == 0
    (page,) = (tmp_path / "site").glob("config-*.html")
    text = page.read_text()
    browser.get(page.as_uri())
    wait(browser, lambda d: drawn(d, "history") > 0)
    # the change point: at the seventh build, the median level after it against the median
    # before (builds 0-5 at 1.00..1.05 of the base, builds 6-9 at 0.85 x 1.06..1.09), within the
    # 1% jitter
    (line,) = [p for p in text.splitlines() if "Change point at" in p]
    assert "vllm-openai-rocm:v0.26.0" in line
    change = float(line.split(": ")[1].split("%")[0])
    expected = (0.85 * statistics.median([1.06, 1.07, 1.08, 1.09])) / statistics.median(
        [1.00, 1.01, 1.02, 1.03, 1.04, 1.05]
    ) - 1
    assert abs(change - expected * 100) < 1
    marks = [
        e.get_attribute("textContent")
        for e in browser.find_elements(By.CSS_SELECTOR, "#history .annotation-text")
    ]
    assert f"step {change:+.1f}%" in marks
    # and the change the digest recorded for that step, with the same figure
    assert f"regression {change:+.1f}%" in marks
    # over run dates: one value per run, 20 of them
    browser.find_element(By.CSS_SELECTOR, "input[value=date]").click()
    wait(browser, lambda d: d.find_element(By.ID, "history").get_attribute("data-points") == "20")
    assert errors(browser) == []


def test_two_builds_at_once_each_leave_a_whole_site(real_site, tmp_path):
    """Two `paretobot site` processes into one folder: the folder holds one whole site after,
    and nothing half-written or moved aside is left beside it."""
    import subprocess
    import sys

    db = f"sqlite:///{real_site.parent}/store.db"
    out = tmp_path / "site"
    command = [sys.executable, "-m", "bot.cli", "site", str(out), "--db", db]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
    pages = {p.name for p in out.glob("config-*.html")}
    data = {p.name.removesuffix(".js") for p in (out / "data").glob("*.js")} - {"index"}
    assert len(pages) == len(list(real_site.glob("config-*.html"))) and data == {
        n.removeprefix("config-").removesuffix(".html") for n in pages
    }
    assert (out / "index.html").is_file() and (out / "compare.html").is_file()


def test_the_site_reads_either_engine(paretobot, tmp_path):
    """The H200 runs in this test's store (SQLite, and PostgreSQL where CI runs one): the
    SDPA-against-eager estimate the compare page shows is the one computed here."""
    for setting in ("eager", "sdpa"):
        folders = [H200 / f"{setting}-{r}" for r in ("r0", "r1", "r2")]
        assert paretobot("ingest", *folders, "--framework-version", f"5.17.0+{setting}").code == 0
    assert paretobot("ingest", H200 / "oom-r0").code == 0
    done = paretobot("site", "--json", tmp_path / "site")
    assert done.code == 0
    site = Path(done.json()["folder"])
    (data_file,) = (site / "data").glob("[0-9a-f]*.js")
    data = _data(site, data_file.stem)
    ids = {b["label"]: b["id"] for b in data["builds"]}
    pair = data["compare"][f"{ids['transformers 5.17.0+eager']}-{ids['transformers 5.17.0+sdpa']}"]
    eager = _geomean([max(r) for r in _throughputs("eager")])
    sdpa = _geomean([max(r) for r in _throughputs("sdpa")])
    assert pair["verdict"] == "regression"
    assert pair["comparison"]["peak"]["ratio"] == pytest.approx(sdpa / eager, rel=1e-9)
    assert pair["comparison"]["peak"]["change"] == f"{(sdpa / eager - 1) * 100:+.1f}%"
    # the out-of-memory build: its failed sweep, cause and all, on the page's data
    (failed,) = data["failed_sweeps"]
    assert failed["cause"] == "out-of-memory"
    assert data["builds"][failed["build"]]["label"] == "transformers 5.17.0"


def test_processes_write_the_same_site_as_one(real_site, tmp_path, capsys):
    db = f"sqlite:///{real_site.parent}/store.db"
    assert run("site", tmp_path / "one", "--jobs", "1", "--db", db) == 0
    assert run("site", tmp_path / "two", "--jobs", "2", "--db", db) == 0
    one = {p.name: p.read_bytes() for p in (tmp_path / "one" / "data").iterdir()}
    two = {p.name: p.read_bytes() for p in (tmp_path / "two" / "data").iterdir()}
    assert len(one) > 10 and one == two
    capsys.readouterr()
    assert run("site", tmp_path / "none", "--jobs", "0", "--db", db) == 1
    assert capsys.readouterr().err == "paretobot: --jobs: give 1 or more processes\n"


def test_a_configuration_with_only_a_failed_run(browser, tmp_path):
    """The out-of-memory run alone: no point, one build. Every page still opens and says what
    there is: the failed sweep and its cause, and that there is nothing to compare yet."""
    from selenium.webdriver.common.by import By

    db = ["--db", f"sqlite:///{tmp_path}/store.db"]
    assert run("ingest", H200 / "oom-r0", *db) == 0
    assert run("site", tmp_path / "site", *db) == 0
    browser.get((tmp_path / "site" / "index.html").as_uri())
    wait(browser, lambda d: d.find_element(By.ID, "shown").text == "1 of 1 configurations shown")
    assert "1 failing run(s)" in browser.find_element(By.ID, "configs").text
    browser.find_element(By.CSS_SELECTOR, "#configs a").click()
    wait(browser, lambda d: "out-of-memory" in d.find_element(By.ID, "runs").text)
    browser.get((tmp_path / "site" / "compare.html").as_uri())
    wait(browser, lambda d: "one build" in d.find_element(By.ID, "status").text)
    assert errors(browser) == []


def test_the_overview_lists_the_first_changes_and_says_how_many_more(tmp_path, capsys, monkeypatch):
    """20 configurations, each with one generated step: 20 recorded changes, of which the
    overview lists the first few (open ones first) and names the command for the rest."""
    from benchmarks.listing import write_fleet
    from bot.report import site as site_report

    files = tmp_path / "files"
    files.mkdir()
    write_fleet(files, models=1, runs=20, per_build=2, step_at=6, step=0.85)
    db = ["--db", f"sqlite:///{tmp_path}/store.db"]
    assert run("ingest", files, *db) == 0
    assert run("digest", "--since", "3650d", *db) == 0
    capsys.readouterr()
    assert run("changes", "--json", *db) == 0
    assert len(json.loads(capsys.readouterr().out)) == 20
    monkeypatch.setattr(site_report, "MAX_LISTED", 5)
    assert run("site", tmp_path / "site", "--jobs", "1", *db) == 0
    page = (tmp_path / "site" / "index.html").read_text()
    assert "20 recorded change(s), 20 open" in page
    assert "The first 5 of 20, open ones first; <code>paretobot changes</code>" in page
    changes = page.split('id="changes"')[1].split("</table>")[0]
    assert changes.count("<tr class=") == 5
