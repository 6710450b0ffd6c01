"""The HTML digest in a real browser: headless Debian Chromium renders two changes built from real
result files, and the screenshot (test-artifacts/digest.png) and the DOM show plots, regressions
first. Without chromium the test is skipped, or fails when PARETOBOT_REQUIRE_CHROMIUM is set."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageStat  # Pillow comes with matplotlib

from bot.analysis.verdict import IMPROVEMENT, REGRESSION
from bot.app.digest import gather_digest
from bot.config import AnalysisPolicy
from bot.ingest import Metadata, parse_file
from bot.model import Attribution, Build, Candidate, PullRequest
from bot.report.comment import change_key
from bot.report.digest import digest_html

REAL_VLLM = Path(__file__).parent / "data" / "real" / "vllm"
KIMI_AGENTIC = (
    Path(__file__).parent / "data/shared/inferencex/agentic/kimik2.5-fp4-mi355x-vllm-0603"
)
KIMI_AGG = Path(__file__).parent / "data/shared/inferencex/agg"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
WIDTH, HEIGHT = 1280, 2000
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # CI containers often have a 64 MB /dev/shm
    "--hide-scrollbars",
    "--force-device-scale-factor=1",  # one CSS pixel = one screenshot pixel
)
T0 = datetime(2026, 11, 16, tzinfo=UTC)
CPU_RUN = Metadata(
    hardware="cpu",
    gpus=1,
    tp=1,
    precision="bf16",
    framework="vllm",
    model="tiny",
    framework_version="0.32.0",
    isl=128,
    osl=64,
)


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    why = "chromium is not installed (scripts/setup_chromium.sh installs Debian's package)"
    if os.environ.get("PARETOBOT_REQUIRE_CHROMIUM"):
        pytest.fail(why)
    pytest.skip(why)


def repeats(sweep, build, scale, when, wobble=(0.985, 1.0, 1.015)):
    """Three runs of a real sweep on `build`, throughput scaled by `scale` with a small wobble."""
    return [
        replace(
            sweep,
            build=build,
            run_id=f"{build.version}-r{i}",
            repeat=i,
            started_at=when,
            points=tuple(replace(p, tput_per_gpu=p.tput_per_gpu * scale * w) for p in sweep.points),
        )
        for i, w in enumerate(wobble)
    ]


def real_week():
    points = []
    for c in (1, 2, 4, 8):
        (sweep,) = parse_file(REAL_VLLM / f"c{c}.json", CPU_RUN).sweeps
        points += sweep.points
    cpu = replace(sweep, points=tuple(points))
    kimi = next(
        s
        for s in parse_file(KIMI_AGENTIC / "agg_bmk.json").sweeps
        if s.config.scenario == "agentic-coding"
    )
    stale = parse_file(next(KIMI_AGG.glob("agg_kimik2.5_1k1k_*.json"))).sweeps[0]
    before, after = T0 - timedelta(days=10), T0 + timedelta(days=3)
    v032, v033 = cpu.build, Build("vllm", "0.33.0", commit="9c1e2f3a4b5d6e7f")
    k021, k022 = kimi.build, Build("vllm", "v0.22.0", image="vllm/vllm-openai-rocm:v0.22.0")
    sweeps = [
        *repeats(cpu, v032, 1.0, before),
        *repeats(cpu, v033, 0.82, after),
        *repeats(kimi, k021, 1.0, before),
        *repeats(kimi, k022, 1.25, after),
        replace(stale, started_at=T0 - timedelta(days=20)),
    ]
    culprit = PullRequest(
        "vllm-project/vllm",
        35850,
        "[Perf] Use fused MoE kernel on <ROCm> | @everyone",
        "https://github.com/vllm-project/vllm/pull/35850",
        "9c1e2f3a4b5d",
        author="alice",
    )
    key = change_key(cpu.config, v032, v033)
    why = Attribution(
        cpu.config,
        v032,
        v033,
        REGRESSION,
        "",
        (Candidate(culprit, 0.9, ()),),
        culprit,
        "bisection",
        6,
    )
    return sweeps, {key: why}


def render(tmp_path) -> Path:
    sweeps, attributions = real_week()
    digest = gather_digest(
        sweeps,
        since=T0,
        until=T0 + timedelta(days=7),
        policy=AnalysisPolicy(),
        attributions=attributions,
        bisections=[
            {
                "config": "dsr1 fp8 mi355x sglang",
                "baseline": "v0.5.4",
                "candidate": "v0.5.5",
                "remaining": 3,
            }
        ],
    )
    assert [c.verdict.kind for c in digest.changes] == [REGRESSION, IMPROVEMENT]
    page = tmp_path / "digest.html"
    page.write_text(digest_html(digest), encoding="utf-8")
    return page


def run_chromium(binary, tmp_path, name, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{name}"  # a fresh profile per run
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_digest_page_renders_in_headless_chromium(tmp_path):
    binary = chromium_binary()
    page = render(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "digest.png"
    shot.unlink(missing_ok=True)
    done = run_chromium(
        binary,
        tmp_path,
        "shot",
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
        page.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        rgb = image.convert("RGB")
        assert ImageStat.Stat(rgb.convert("L")).stddev[0] > 20  # not a blank page
        colors = rgb.getcolors(maxcolors=WIDTH * HEIGHT)
    drawn = {c: n for n, c in colors}
    assert drawn.get((0x75, 0x75, 0x75), 0) > 200  # the baseline frontiers' grey, drawn

    dom = run_chromium(binary, tmp_path, "dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    plots = re.findall(r'<img class="plot" src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert len(plots) == 2
    for data in plots:
        assert ET.fromstring(base64.b64decode(data)).tag.endswith("svg")
    ids = [
        html.index(f'<section id="{s}"')
        for s in ("regressions", "unlocks", "improvements", "breakages", "bisections", "stale")
    ]
    assert ids == sorted(ids)
    kinds = re.findall(r'data-kind="([a-z-]+)"', html)
    assert kinds == [REGRESSION, IMPROVEMENT]
    assert html.index("regressed tiny BF16 TP=1 128/64 on CPU") < html.index("improved Kimi K2.5")
    assert "vLLM PR #35850 regressed" in html
    assert "&lt;ROCm&gt;" in html and "<ROCm>" not in html  # upstream text stays text
    assert "Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X" in html  # the stale configuration
