"""`paretobot site` on a fleet-sized store: how long the site takes to build, and how long its
pages take to load from disk in Debian's headless Chromium, each against a floor measured in the
same run.

The fleet: 700 configurations (35 models x 5 GPUs x 4 tensor-parallel sizes), 6 builds each with
2 repeats (12 daily runs) at 6 concurrencies: 50,400 points, ingested through the real parser and
store (benchmarks/listing.py's fleet). Rows:

- `load_sweeps`: every sweep and point read: the least a site of everything must do;
- `paretobot digest`: the digest over the same store (each configuration's newest build
  judged against the one before), a peer that reads and judges everything once;
- `paretobot site`: the whole site (30 build pairs judged per configuration, both histories,
  700 data files and pages), as a user runs it (a fresh process);
- page loads: from navigation start until the page's charts are drawn (overview: until its
  filters have run), best of 3, next to an empty page loaded the same way (the browser's floor).

About 90 s on 2 cores, most of it the ingest.

    .venv/bin/python benchmarks/site.py [--models 35] [--builds 6] [--repeats 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from listing import timed, write_fleet  # noqa: E402

from bot import store  # noqa: E402
from bot.ingest import find_result_files, parse_file  # noqa: E402


def command(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode:
        raise SystemExit(f"paretobot {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - start


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


READY = {
    "overview": "return document.getElementById('shown').textContent ? performance.now() : null",
    "config": "var n = document.querySelectorAll('#pareto .trace, #history .trace').length;"
    "return n > 1 ? performance.now() : null",
    "compare": "return document.querySelectorAll('#compare-chart .trace').length"
    " && document.getElementById('verdict').textContent ? performance.now() : null",
    "empty": "return document.readyState === 'complete' ? performance.now() : null",
}


def page_load(driver, url: str, ready: str) -> float:
    """Milliseconds from navigation start until `ready` holds, best of 3."""
    best = float("inf")
    for _ in range(3):
        driver.get("about:blank")
        driver.get(url)
        at = None
        deadline = time.time() + 30
        while at is None and time.time() < deadline:
            at = driver.execute_script(READY[ready])
        if at is None:
            raise SystemExit(f"{url}: never ready")
        best = min(best, at)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=35, help="x 20 = configurations")
    parser.add_argument("--builds", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=2, help="runs per build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fleet"
        folder.mkdir()
        start = time.perf_counter()
        points = write_fleet(folder, args.models, args.builds * args.repeats, args.repeats)
        url = f"sqlite:///{tmp}/fleet.db"
        engine = store.open_store(url)
        files, _ = find_result_files([folder])
        for path in files:
            store.add_file(engine, parse_file(path))
        ingested = time.perf_counter() - start
        rows = [("load_sweeps", timed(lambda: store.load_sweeps(engine), 1)[0])]
        engine.dispose()
        rows.append(("paretobot digest", command("digest", "--since", "3650d", "--db", url)))
        site = Path(tmp) / "site"
        rows.append(("paretobot site", command("site", str(site), "--db", url)))
        pages = len(list(site.glob("*.html")))
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        (Path(tmp) / "empty.html").write_text("<!doctype html><title>empty</title>")
        driver = browser()
        try:
            config = next(site.glob("config-*.html"))
            loads = [
                ("empty page (floor)", page_load(driver, (Path(tmp) / "empty.html").as_uri(),
                                                 "empty")),
                ("overview (700 rows)", page_load(driver, (site / "index.html").as_uri(),
                                                  "overview")),
                ("configuration", page_load(driver, config.as_uri(), "config")),
                ("compare", page_load(driver, (site / "compare.html").as_uri(), "compare")),
            ]  # fmt: skip
        finally:
            driver.quit()
    print(
        f"{args.models * 20} configurations, {args.builds} builds x {args.repeats} repeats, "
        f"{points:,} points (written and ingested in {ingested:.1f} s); site: {pages} pages, "
        f"{size / 1e6:.1f} MB"
    )
    floor = rows[0][1]
    print(f"{'build':<24}{'seconds':>9}  compared with")
    for name, seconds in rows:
        versus = "the floor" if name == "load_sweeps" else f"{seconds / floor:.1f}x load_sweeps"
        if name == "paretobot site":
            versus += f", {seconds / rows[1][1]:.1f}x digest"
        print(f"{name:<24}{seconds:>9.2f}  {versus}")
    empty = loads[0][1]
    print(f"{'page, from disk':<24}{'ms':>9}  compared with")
    for name, ms in loads:
        print(f"{name:<24}{ms:>9.0f}  {'the floor' if ms == empty else f'{ms / empty:.1f}x empty'}")


if __name__ == "__main__":
    main()
