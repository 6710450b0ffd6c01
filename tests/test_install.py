"""The product as users get it: a built wheel, run from an empty folder, not this checkout.

An editable install reads configs, recipes and examples straight from the source tree, so a
package-data mistake never shows in the rest of the suite; here the wheel is built, every file
the code reads at run time must be in it, and the installed copy must run the demo on its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def project_files() -> list[str]:
    """What a clone holds: tracked files and new ones not ignored (no build/ or egg-info/,
    whose stale lists would smuggle files into the wheel that a fresh clone would not ship)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\n")  # fmt: skip
    return [p for p in listed if p and (ROOT / p).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    clone = tmp_path_factory.mktemp("clone")
    for name in project_files():
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, clone / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(clone)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (found,) = out.glob("paretobot-*.whl")
    return found


def test_the_wheel_carries_every_file_the_code_reads(wheel):
    data = [
        p
        for p in project_files()
        if p.startswith(("bot/defaults/", "bot/report/templates/", "bot/report/site_assets/"))
        and not p.endswith(".py")
    ]
    assert any(p.endswith("configs/analysis.yaml") for p in data)
    assert any(p.endswith("recipes/vllm.yaml") for p in data)
    assert any(p.endswith("examples/vllm-cpu/run-a/c1.json") for p in data)
    assert any(p.endswith("site_assets/plotly-basic.min.js") for p in data)
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    assert sorted(set(data) - shipped) == []


def write_run(folder: Path, factor: float) -> None:
    """A run of the real vLLM CPU sweep (tests/data/real/vllm) with its throughput scaled."""
    folder.mkdir(parents=True)
    for path in sorted((ROOT / "tests" / "data" / "real" / "vllm").glob("c*.json")):
        doc = json.loads(path.read_text())
        for key in ("total_token_throughput", "output_throughput", "request_throughput"):
            doc[key] *= factor
        (folder / path.name).write_text(json.dumps(doc))


def test_the_installed_wheel_runs_from_an_empty_folder(wheel, tmp_path):
    """What a team does: a fresh venv, `pip install` of the wheel (dependencies from the index),
    then the demo, a gated compare in Actions and a dry-run watch, from an empty folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARETOBOT_", "GITHUB_"))}
    env.pop("PYTHONPATH", None)
    paretobot = str(venv / "bin" / "paretobot")

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(args), cwd=empty, env=env | extra, capture_output=True, text=True, timeout=300
        )

    where = run(str(venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)")
    assert where.stdout.strip().startswith(str(venv)), where.stdout  # not this checkout
    version = run(paretobot, "--version")
    assert version.returncode == 0 and version.stdout.startswith("paretobot "), version.stderr

    # the whole loop; the store persists in the folder, so later commands see its results
    demo = run(paretobot, "demo", "--out", "demo")
    assert demo.returncode == 0, demo.stderr
    folder = empty / "demo"
    posts = json.loads((folder / "posts" / "posts.json").read_text())
    (change,) = [p for p in posts if p["what"] == "change"]
    comment = (folder / "posts" / change["file"]).read_text()
    assert "https://github.com/ROCm/aiter/pull/" in comment  # names upstream PRs (ranked)
    assert (folder / "posts" / "perf-changelog.yaml").read_text().count("paretobot:change:") == 1
    assert "<html" in (folder / "digest.html").read_text()
    assert (empty / "paretobot.db").exists()
    frontier = run(paretobot, "frontier", "--json")
    assert frontier.returncode == 0 and json.loads(frontier.stdout), frontier.stderr
    last = demo.stdout.strip().splitlines()[-1]
    assert last.startswith("digest (markdown): "), last
    # the dashboard from the demo's store: its pages, data and the charting library it serves
    site = run(paretobot, "site", "site")
    assert site.returncode == 0 and "open site/index.html" in site.stdout, site.stderr
    assert (empty / "site" / "assets" / "plotly-basic.min.js").stat().st_size > 1_000_000
    assert len(list((empty / "site").glob("config-*.html"))) == len(json.loads(
        run(paretobot, "configs", "--json").stdout))  # fmt: skip

    # the CI gate on a seeded 15% regression, inside GitHub Actions
    cpu = ["--hardware", "cpu", "--gpus", "1", "--framework", "vllm", "--isl", "128",
           "--precision", "fp8", "--db", "sqlite:///gate.db"]  # fmt: skip
    for version, factors in (("1.0", (1.0, 0.99, 1.01)), ("2.0", (0.855, 0.845, 0.85))):
        for r, factor in enumerate(factors):
            write_run(empty / f"{version}-{r}", factor)
            got = run(paretobot, "ingest", f"{version}-{r}", *cpu, "--framework-version", version,
                      "--run-id", f"{version}-{r}")  # fmt: skip
            assert got.returncode == 0, got.stderr
    summary, output = empty / "summary.md", empty / "output.txt"
    actions = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
               "GITHUB_OUTPUT": str(output)}  # fmt: skip
    gate = run(paretobot, "compare", "--baseline", "1.0", "--candidate", "2.0",
               "--db", "sqlite:///gate.db", "--fail-on", "regression", **actions)  # fmt: skip
    assert gate.returncode == 3, gate.stderr
    assert "regression" in summary.read_text()
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    assert (outputs["regression"], outputs["gate"]) == ("1", "fail")

    # a store made by the previous release (schema 4, before Alembic) opens and migrates: the
    # Alembic revisions are package data too
    old = empty / "old.db"
    old.write_bytes((ROOT / "tests" / "data" / "stores" / "v4.sqlite").read_bytes())
    runs = run(paretobot, "runs", "--json", "--db", "sqlite:///old.db")
    assert runs.returncode == 0 and len(json.loads(runs.stdout)) == 3, runs.stderr
    check = run(paretobot, "store", "check", "--db", "sqlite:///old.db")
    assert check.returncode == 0 and "ok      schema: schema version 6, revision 0006" in (
        check.stdout
    ), check.stdout + check.stderr
    assert run(str(venv / "bin" / "python"), "-c", "import scipy").returncode == 1  # not needed

    # a dry-run watch of a release payload, with the packaged configs and matrix
    payload = where.stdout.strip().rsplit("/", 1)[0] + "/defaults/demo/release.json"
    watch = run(paretobot, "watch", "--event", payload, "--event-name", "release",
                "--dry-run", "plans", "--db", "sqlite:///watch.db")  # fmt: skip
    assert watch.returncode == 0, watch.stderr
    (plan,) = (empty / "plans").glob("*.json")
    jobs = json.loads(plan.read_text())["jobs"]
    assert jobs and all(j["framework"] in {"vllm", "sglang", "atom"} for j in jobs)

    # the configs and recipes the rest of the product reads come from the wheel too
    python = str(venv / "bin" / "python")
    plan = run(python, "-c", "from bot.config.matrix import load_matrix; print(len(load_matrix()))")
    assert plan.returncode == 0 and int(plan.stdout) > 0, plan.stderr
    recipe = run(
        python,
        "-c",
        "from bot.runner.recipe import load_recipe; print(load_recipe('vllm').framework)",
    )
    assert recipe.returncode == 0, recipe.stderr
