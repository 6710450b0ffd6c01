"""Provenance: the runner records where a job ran (CI run URL, runner, artifact, host) and what it
ran; ingest attaches its paretobot-run.json to the job's run (hostile ones quarantined, in any
order, idempotently); compare, comments, the changelog and the digest link each run to its CI run,
and the comment gives the candidate's job to run again.

The runner folders are real: `paretobot run-job` against the stand-in server of tests/data/runner,
with the variables GitHub Actions sets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import DATA
from markdown_it import MarkdownIt

from bot import store
from bot.app import judge
from bot.config import AnalysisPolicy
from bot.model import BREAKAGE
from bot.report import verdicts_markdown
from bot.report.changelog import changelog_record
from bot.report.comment import comment_markdown
from bot.report.digest import Digest, DigestChange, digest_html, digest_json, digest_markdown
from bot.runner.job import job_name, parse_jobs
from bot.runner.system import links, run_url

FAKE = DATA / "runner"
ROOT = Path(__file__).resolve().parents[1]
PARETOBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
SERVER = "https://github.example.com"
REPO = "acme/bench"
TOKEN = "ghs_canary0123456789abcdef"  # must never reach a file the runner writes
HOSTILE = "```\n</details><script>alert(1)</script> @everyone [x](javascript:alert(1)) <!-- `"
V1, V2, V3 = "1.2.3.dev4+g0123abcd", "1.3.0", "1.4.0"  # the stand-in server's, then recipes'
POLICY = AnalysisPolicy()


def fake_job(reasons: list[str], **env: str) -> dict:
    return {
        "entry": "fake",
        "model": "fake-model",
        "framework": "fake",
        "recipe": "fake",
        "hardware": "cpu",
        "precision": "bf16",
        "isl": 8,
        "osl": 8,
        "concurrencies": [1, 2],
        "repeats": 2,
        "reasons": reasons,
        "env": {"PYTHONPATH": str(FAKE), **env},
        "timeouts": {"health_s": 20, "client_s": 20, "stop_s": 2},
    }


def recipes_reporting(folder: Path, version: str | None) -> Path:
    """The stand-in's recipe; with `version`, its version command reports that one instead."""
    folder.mkdir(parents=True)
    text = (FAKE / "recipes" / "fake.yaml").read_text()
    if version:
        text = text.replace(
            "version_command: [python3, -m, fake_server, --version]",
            f"version_command: [python3, -c, \"print('{version}')\"]",
        )
        assert version in text
    (folder / "fake.yaml").write_text(text)
    return folder


def run_runner(base: Path, job: dict, run: int, version: str | None) -> Path:
    """`paretobot run-job` as a benchmark workflow's step runs it; returns the job's folder."""
    base.mkdir(parents=True)
    (base / "job.json").write_text(json.dumps(job))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "GITHUB_SERVER_URL": SERVER,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": str(run),
        "GITHUB_RUN_ATTEMPT": "1",
        "RUNNER_NAME": f"gpu-runner-{run}",
        "PARETOBOT_ARTIFACT": f"results-{run}-1-0",
        "GITHUB_TOKEN": TOKEN,
    }
    recipes = recipes_reporting(base / "recipes", version)
    cmd = [*PARETOBOT, "run-job", "job.json", "--out", "out", "--recipes", str(recipes)]
    done = subprocess.run(cmd, cwd=base, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    (spec,) = parse_jobs(job)
    return base / "out" / job_name(spec, 0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Three real runner outputs: the baseline build, a candidate that works (with a hostile
    string in its job), and a third build whose server dies before it is healthy (a breakage)."""
    base = tmp_path_factory.mktemp("runner")
    return {
        "baseline": run_runner(base / "a", fake_job(["nightly"]), 4242, None),
        "candidate": run_runner(base / "b", fake_job([HOSTILE]), 4243, V2),
        "broken": run_runner(
            base / "c",
            fake_job([HOSTILE], FAKE_EXIT_EARLY="RuntimeError: no kernel image"),
            4244,
            V3,
        ),
    }


def record(folder: Path) -> dict:
    return json.loads((folder / "paretobot-run.json").read_text())


def url_of(run: int) -> str:
    return f"{SERVER}/{REPO}/actions/runs/{run}/attempts/1"


def job_run(folder: Path) -> dict:
    """The job as run-job read it from job.json: validated, every default filled in."""
    (spec,) = parse_jobs(json.loads((folder.parents[1] / "job.json").read_text()))
    return spec.model_dump(mode="json")


def ingest_all(paretobot, folders: dict[str, Path]) -> None:
    for name in ("baseline", "candidate", "broken"):
        done = paretobot("ingest", folders[name])
        assert done.code == 0, done.err


def runs_by_url(paretobot) -> dict[str, dict]:
    return {r["run_id"]: r for r in paretobot("runs", "--json").json()}


# ---- the runner ---------------------------------------------------------------------------------


def test_the_runner_records_where_the_job_ran_and_no_secret(folders):
    rec = record(folders["baseline"])
    links = rec["links"]
    assert links["run_url"] == url_of(4242)
    assert (links["runner"], links["artifact"]) == ("gpu-runner-4242", "results-4242-1-0")
    hostname = rec["host"]["hostname"]
    assert links["host"] == hostname or re.fullmatch(
        re.escape(hostname) + r"/[0-9a-f]{16}", links["host"]
    )
    # one host, one identity: the same in every job's record
    assert {record(f)["links"]["host"] for f in folders.values()} == {links["host"]}
    assert rec["results_run_id"] == f"4242-1-{folders['baseline'].name.rsplit('-', 1)[-1]}"
    meta = json.loads((folders["baseline"] / "r0" / "paretobot-meta.json").read_text())
    assert meta["run_id"] == rec["results_run_id"]
    for folder in folders.values():
        for path in folder.rglob("*"):
            if path.is_file():
                assert TOKEN not in path.read_text(errors="replace"), path


def test_run_url_only_from_what_actions_writes():
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_RUN_ID": "7", "GITHUB_RUN_ATTEMPT": "3"}
    assert run_url(env) == f"https://github.com/{REPO}/actions/runs/7/attempts/3"
    assert run_url({**env, "GITHUB_SERVER_URL": "https://ghe.corp/"}).startswith(
        f"https://ghe.corp/{REPO}/"
    )
    assert run_url({}) is None
    for bad in (
        {"GITHUB_SERVER_URL": "https://user:token@ghe.corp"},  # never a login in a link
        {"GITHUB_SERVER_URL": "javascript:alert(1)"},
        {"GITHUB_RUN_ID": "7; rm -rf /"},
        {"GITHUB_REPOSITORY": "a/b/../c"},
    ):
        assert run_url({**env, **bad}) is None


# ---- ingest ------------------------------------------------------------------------------------


def test_ingest_attaches_the_record_to_its_run(paretobot, folders):
    ingest_all(paretobot, folders)
    runs = runs_by_url(paretobot)
    for name, number in (("baseline", 4242), ("candidate", 4243), ("broken", 4244)):
        rec = record(folders[name])
        run = runs[rec["results_run_id"]]
        assert run["url"] == url_of(number)
        assert (run["runner"], run["artifact"]) == (f"gpu-runner-{number}", f"results-{number}-1-0")
        assert run["host"] == rec["links"]["host"]
        assert run["job"] == job_run(folders[name]) == rec["job"]
        assert run["runner_build"]["version"] == rec["framework"]["version"]
        assert run["runner_build"]["commit"] == (rec["framework"]["commit"] or "")
        assert run["gpus"] == []  # the stand-in runs on a CPU machine
    assert runs[record(folders["candidate"])["results_run_id"]]["points"] == 4
    assert runs[record(folders["broken"])["results_run_id"]]["failed_configurations"]
    text = paretobot("runs").out
    assert f"url: {url_of(4243)}" in text and "runner: gpu-runner-4243" in text


def test_reingest_is_idempotent(paretobot, engine, folders):
    ingest_all(paretobot, folders)
    before = (runs_by_url(paretobot), store.count_rows(engine))
    again = paretobot("ingest", folders["candidate"], "--json")
    assert {f["status"] for f in again.json()["files"]} == {"duplicate"}
    assert (runs_by_url(paretobot), store.count_rows(engine)) == before


def _ingest_files(paretobot, paths: list[Path]) -> None:
    for path in paths:
        done = paretobot("ingest", path)
        assert done.code == 0, done.err


def test_order_of_files_does_not_matter(paretobot, db_url, tmp_path, folders):
    folder = folders["candidate"]
    results = [folder / "r0", folder / "r1"]
    record_file = folder / "paretobot-run.json"
    first = f"sqlite:///{tmp_path}/first.db"
    for path in (record_file, *results):  # the record before the results
        assert paretobot("ingest", path, "--db", first).code == 0
    _ingest_files(paretobot, [*results, record_file])  # after them (this test's store)
    after = paretobot("runs", "--json").json()
    assert paretobot("runs", "--json", "--db", first).json() == after
    assert after[0]["url"] == url_of(4243)


def test_a_finished_record_wins_over_a_snapshot_in_either_order(paretobot, tmp_path, folders):
    """The runner rewrites its record as the job goes: a copy taken mid-run must not replace the
    finished one, whichever is ingested last."""
    rec = record(folders["candidate"])
    snapshot = rec | {"status": "running", "ended_at": None}
    snapshot["links"] = rec["links"] | {"runner": "mid-run"}
    (tmp_path / "snap").mkdir()
    snap = tmp_path / "snap" / "paretobot-run.json"
    snap.write_text(json.dumps(snapshot))
    final = folders["candidate"] / "paretobot-run.json"
    other = f"sqlite:///{tmp_path}/other.db"
    results = folders["candidate"] / "r0"  # `runs` lists runs with results
    for path in (snap, final, results):
        assert paretobot("ingest", path, "--db", other).code == 0
    for path in (results, final, snap):
        assert paretobot("ingest", path).code == 0
    for db in ([], ["--db", other]):
        (run,) = paretobot("runs", "--json", *db).json()
        assert run["runner"] == "gpu-runner-4243"


def _mutated(rec: dict, path: str, value) -> dict:
    out = json.loads(json.dumps(rec))
    *parents, last = path.split(".")
    node = out
    for key in parents:
        node = node[key]
    node[last] = value
    return out


HOSTILE_RECORDS = [
    ("truncated", None, "invalid JSON"),
    ("not a record", {"job": {}, "commands": []}, "is not a runner record"),
    ("nested", "[" * 100_000, "nested too deeply"),
    ("links.run_url", "javascript:alert(1)", "'links.run_url' is not a plain http(s) address"),
    ("links.run_url", "https://x.example/a)](javascript:alert(1)", "not a plain http(s) address"),
    ("links.run_url", "https://ok.example/\n@everyone", "not a plain http(s) address"),
    ("links.runner", "gpu-1\n<script>alert(1)</script>", "'links.runner' holds a control"),
    ("links.artifact", "a" * 5000, "'links.artifact' is 5000 characters long"),
    ("links.host", ["not", "text"], "'links.host' is not text"),
    ("job", "rm -rf /", "'job' is missing or not an object"),
    ("job.surprise", "1", "field 'surprise': Extra inputs are not permitted"),
    ("job.model", "--evil", "field 'model': must not start with '-'"),
    ("job.timeouts.stop_s", float("inf"), "not finite"),
    ("results_run_id", "../../etc/passwd", "'results_run_id' is not a run id"),
    ("accelerators.gpus", "H100", "'accelerators.gpus' is not a list"),
    ("started_at", "yesterday", "'started_at' is not an ISO time"),
    ("framework.installed_commit", "abc1234; rm -rf /", "'framework.installed_commit' is not a"),
    ("framework.requested_commit", "v1\n::set-output x", "'framework.requested_commit' holds a"),
]


@pytest.mark.parametrize(
    "where, value, reason",
    HOSTILE_RECORDS,
    ids=[f"{w}-{i}" for i, (w, _, _) in enumerate(HOSTILE_RECORDS)],
)
def test_a_hostile_record_is_quarantined_and_the_results_beside_it_stored(
    paretobot, engine, tmp_path, folders, where, value, reason
):
    folder = tmp_path / folders["candidate"].name
    shutil.copytree(folders["candidate"], folder)
    target = folder / "paretobot-run.json"
    text = target.read_text()
    if where == "truncated":
        target.write_text(text[: len(text) // 2])
    elif where in ("not a record", "nested"):
        target.write_text(value if isinstance(value, str) else json.dumps(value))
    else:
        target.write_text(json.dumps(_mutated(json.loads(text), where, value), allow_nan=True))
    done = paretobot("ingest", folder)
    assert done.code == 1
    lines = [ln for ln in done.err.splitlines() if "paretobot-run.json" in ln]
    assert len(lines) == 1 and reason in lines[0], done.err
    assert "Traceback" not in done.err and len(done.err.splitlines()) == 1
    (run,) = paretobot("runs", "--json").json()
    assert run["points"] == 4 and run["url"] is None and run["job"] is None
    (q,) = store.quarantined(engine)
    assert q.path.endswith("paretobot-run.json") and reason in q.reason


def test_an_oversized_record_is_refused_unread(paretobot, tmp_path):
    (tmp_path / "job").mkdir()
    huge = tmp_path / "job" / "paretobot-run.json"
    with huge.open("wb") as f:
        f.truncate(17 * 2**20)
    done = paretobot("ingest", huge)
    assert done.code == 1 and "larger than a runner record" in done.err


def test_a_commit_mismatch_is_said_and_the_results_stay_where_asked(paretobot, tmp_path, folders):
    """The job asked for one commit, the framework's version names another: ingest warns, the
    run lists all three commits and the mismatch, and the results are not re-filed."""
    asked, reported = "feedfacefeedfacefeedfacefeedfacefeedface", "0123abcd"
    folder = tmp_path / folders["candidate"].name
    shutil.copytree(folders["candidate"], folder)
    rec = record(folder)
    rec["framework"] |= {"requested_commit": asked, "reported_commit": reported}
    (folder / "paretobot-run.json").write_text(json.dumps(rec))
    done = paretobot("ingest", folder)
    assert done.code == 0, done.err
    said = [ln for ln in done.err.splitlines() if "asked for commit" in ln]
    assert said == [
        f"warning {folder / 'paretobot-run.json'}: run {rec['results_run_id']} asked for commit "
        f"{asked[:12]}; the framework reports {reported}; its results stay filed under the "
        "commit asked for"
    ]
    (run,) = paretobot("runs", "--json").json()
    assert run["commits"] == {"requested": asked, "reported": reported, "installed": None}
    assert (
        run["commit_mismatch"] == f"asked for commit {asked[:12]}; the framework reports 0123abcd"
    )
    assert run["points"] == 4 and not any(asked[:12] in b for b in run["builds"])  # not re-filed
    text = paretobot("runs").out
    assert f"commit: requested {asked}, reported {reported}" in text
    assert "COMMIT MISMATCH" in text
    # the same commits, one a prefix of the other: no mismatch
    rec["framework"] |= {"reported_commit": asked[:8], "installed_commit": asked}
    later = rec | {"ended_at": "2099-01-01T00:00:00+00:00"}  # a more finished record replaces
    (folder / "paretobot-run.json").write_text(json.dumps(later))
    done = paretobot("ingest", folder)
    assert "asked for commit" not in done.err
    (run,) = paretobot("runs", "--json").json()
    assert run["commit_mismatch"] is None and run["commits"]["installed"] == asked


def test_a_record_from_before_links_existed_still_links(paretobot, tmp_path, folders):
    """Records written before `links` and `results_run_id`: the run from the session's run id
    and the job's hash, the URL from the dispatch variables."""
    rec = record(folders["candidate"])
    old = {k: v for k, v in rec.items() if k not in ("links", "results_run_id")}
    old["dispatch"] = {k: v for k, v in rec["dispatch"].items() if k not in ("GITHUB_SERVER_URL",)}
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "paretobot-run.json").write_text(json.dumps(old))
    assert paretobot("ingest", tmp_path / "old").code == 0
    assert paretobot("ingest", folders["candidate"] / "r0").code == 0
    (run,) = paretobot("runs", "--json").json()
    assert run["run_id"] == rec["results_run_id"]
    assert run["url"] == f"https://github.com/{REPO}/actions/runs/4243/attempts/1"
    assert run["runner"] == "gpu-runner-4243"  # from the host facts


def test_a_version_2_store_gains_provenance_in_place(db_url, paretobot, folders):
    ingest_results = [folders["candidate"] / "r0", folders["candidate"] / "r1"]
    _ingest_files(paretobot, ingest_results)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # as a version-2 store was: no provenance table
        conn.execute(sa.text("DROP TABLE provenance"))
        conn.execute(sa.text("DROP TABLE alembic_version"))  # made before Alembic
        conn.execute(sa.text("UPDATE meta SET value='2' WHERE key='schema_version'"))
    engine.dispose()
    before = store.load_sweeps(migrated := store.open_store(db_url))
    with migrated.connect() as conn:
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key='schema_version'"))
        assert version.scalar() == str(store.SCHEMA_VERSION)  # through 3 to the latest
    migrated.dispose()
    assert len(before) == 2 and sum(len(s.points) for s in before) == 4
    _ingest_files(paretobot, [folders["candidate"] / "paretobot-run.json"])
    (run,) = paretobot("runs", "--json").json()
    assert run["url"] == url_of(4243) and run["points"] == 4


def test_a_version_3_store_gains_the_commits_in_place(db_url, paretobot, folders):
    _ingest_files(paretobot, [folders["candidate"]])
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # as a version-3 store was: provenance without the commits
        for k in ("requested", "reported", "installed"):
            conn.execute(sa.text(f"ALTER TABLE provenance DROP COLUMN {k}_commit"))
        conn.execute(sa.text("DROP TABLE alembic_version"))  # made before Alembic
        conn.execute(sa.text("UPDATE meta SET value='3' WHERE key='schema_version'"))
    engine.dispose()
    (run,) = paretobot("runs", "--json").json()  # opening the store migrates it
    assert run["url"] == url_of(4243) and run["points"] == 4
    assert run["commits"] == {"requested": None, "reported": None, "installed": None}
    with (migrated := store.open_store(db_url)).connect() as conn:
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key='schema_version'"))
        assert version.scalar() == str(store.SCHEMA_VERSION)
    migrated.dispose()


# ---- reports ------------------------------------------------------------------------------------


def run_ids(folders: dict[str, Path]) -> dict[str, str]:
    return {name: record(folder)["results_run_id"] for name, folder in folders.items()}


def test_compare_links_each_run_to_its_ci_run(paretobot, folders):
    ingest_all(paretobot, folders)
    ids = run_ids(folders)
    text = paretobot("compare", "--baseline", V1, "--candidate", V2).out
    assert f"(runs [{ids['candidate']}]({url_of(4243)}))" in text
    assert f"(runs [{ids['baseline']}]({url_of(4242)}))" in text
    (v,) = paretobot("compare", "--baseline", V1, "--candidate", V2, "--json").json()
    assert {(r["side"], r["run_id"], r["url"], r["runner"]) for r in v["runs"]} == {
        ("baseline", ids["baseline"], url_of(4242), "gpu-runner-4242"),
        ("candidate", ids["candidate"], url_of(4243), "gpu-runner-4243"),
    }


def test_runs_without_a_url_stay_plain_escaped_ids(paretobot, folders):
    _ingest_files(paretobot, [folders["baseline"] / "r0", folders["candidate"] / "r0"])
    ids = run_ids(folders)
    text = paretobot("compare", "--baseline", V1, "--candidate", V2).out
    assert f"(runs {ids['candidate']})" in text and "](" not in text
    (v,) = paretobot("compare", "--baseline", V1, "--candidate", V2, "--json").json()
    assert {r["url"] for r in v["runs"]} == {None}


def reproduce_job(body: str) -> dict:
    """The job in the comment's reproduce block, parsed back."""
    section = body.split("#### Reproduce", 1)[1]
    assert section.count("<details>") == 1 and section.count("</details>") == 1
    inside = section.split("<details>", 1)[1].split("</details>", 1)[0]
    (block,) = re.findall(r"```json\n(.*?)\n```", inside, re.DOTALL)
    assert not set(block) & set("`<>&@")
    return json.loads(block)


def rendered_safely(body: str) -> str:
    """GitHub's renderer is CommonMark with HTML allowed: the hostile job text must stay code."""
    page = MarkdownIt("commonmark", {"html": True}).render(body)
    assert "<script>" not in page and 'href="javascript' not in page
    assert page.count("<details>") == 1 and page.count("</details>") == 1
    return page


def test_the_comment_links_runs_and_gives_the_job_to_run_again(engine, paretobot, folders):
    ingest_all(paretobot, folders)
    runs = judge.runs_by_id(engine)
    (v,) = judge.verdicts(engine, V1, V2)
    body = comment_markdown(v, policy=POLICY, runs=runs)
    assert f"]({url_of(4243)})" in body and f"]({url_of(4242)})" in body
    assert "paretobot run-job job.json --out results" in body
    job = reproduce_job(body)
    assert job == job_run(folders["candidate"]) and job["reasons"] == [HOSTILE]
    page = rendered_safely(body)
    assert '<pre><code class="language-json">' in page
    # without run records: no links, no reproduce block, as before
    bare = comment_markdown(v, policy=POLICY)
    assert "#### Reproduce" not in bare and "](" + SERVER not in bare


def test_a_breakage_without_a_comparison_still_links_and_reproduces(
    engine, paretobot, folders, tmp_path, monkeypatch
):
    """The candidate never served: no frontier to compare, yet its run and job are known."""
    ingest_all(paretobot, folders)
    ids = run_ids(folders)
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # a dry run sends nothing
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    out, changelog = tmp_path / "posts", tmp_path / "repo" / "perf-changelog.yaml"
    args = ["--baseline", V1, "--candidate", V3, "--repo", REPO, "--issue", "7"]
    done = paretobot("publish", *args, "--changelog", changelog, "--dry-run", out, "--json")
    assert done.code == 0, done.err
    (post,) = json.loads((out / "posts.json").read_text())
    body = (out / post["file"]).read_text()
    assert body.startswith("<!-- paretobot:change:") and BREAKAGE in body
    assert f"[{ids['broken']}]({url_of(4244)})" in body
    assert reproduce_job(body) == job_run(folders["broken"])
    rendered_safely(body)
    (entry,) = [
        json.loads(line) for line in (out / "perf-changelog.jsonl").read_text().splitlines()
    ]
    assert entry["verdict"] == BREAKAGE
    assert entry["runs"] == [
        {"run_id": ids["baseline"], "side": "baseline", "url": url_of(4242)},
        {"run_id": ids["broken"], "side": "candidate", "url": url_of(4244)},
    ]


def test_changelog_record_and_digest_link_the_runs(engine, paretobot, folders):
    ingest_all(paretobot, folders)
    ids, runs = run_ids(folders), judge.runs_by_id(engine)
    (v,) = judge.verdicts(engine, V1, V2)
    entry = changelog_record(v, None, links=[], confidence=0.95, recorded=date.today(), runs=runs)
    assert {(r["side"], r["run_id"], r["url"]) for r in entry["runs"]} == {
        ("baseline", ids["baseline"], url_of(4242)),
        ("candidate", ids["candidate"], url_of(4243)),
    }
    # equal numbers on one shared level: inconclusive, a section of the digest
    assert v.kind == "inconclusive" and v.comparison is not None
    c, now = v.comparison, datetime.now(UTC)
    change = DigestChange(v, c.baseline_frontier, c.candidate_frontier)
    digest = Digest(since=now, until=now, changes=(change,), runs=runs)
    text = digest_markdown(digest)
    assert f"Candidate runs: [{ids['candidate']}]({url_of(4243)})." in text
    assert f"Baseline runs: [{ids['baseline']}]({url_of(4242)})." in text
    page = digest_html(digest)
    assert f'<a href="{url_of(4243)}">{ids["candidate"]}</a>' in page
    (listed,) = digest_json(digest)["inconclusive"]
    assert {r["url"] for r in listed["runs"]} == {url_of(4242), url_of(4243)}
    # without run records (or with none that has an address) the digest lists no run ids
    assert " runs: " not in digest_markdown(replace(digest, runs={}))


def test_compare_markdown_without_records_is_as_before(folders, paretobot, engine):
    _ingest_files(paretobot, [folders["baseline"] / "r0", folders["candidate"] / "r0"])
    (v,) = judge.verdicts(engine, V1, V2)
    assert verdicts_markdown([v], POLICY) == verdicts_markdown([v], POLICY, {})


def test_odd_names_cost_characters_not_the_record(monkeypatch):
    monkeypatch.setenv("RUNNER_NAME", "gpu-1\n\x1b[31mred" + "x" * 500)
    monkeypatch.delenv("PARETOBOT_ARTIFACT", raising=False)
    found = links()
    assert found["runner"].startswith("gpu-1[31mred") and len(found["runner"]) == 200
    assert found["artifact"] is None and found["host"]


def test_a_release_tag_asked_for_is_no_commit_to_mismatch():
    """A release job names its tag where a probe names a commit: nothing to compare."""
    from bot.model import commit_mismatch

    assert commit_mismatch("v0.32.1", "0123abcd", "") == ""
    assert commit_mismatch("feedface" * 5, "0123abcd", "") == (
        "asked for commit feedfacefeed; the framework reports 0123abcd"
    )
    assert commit_mismatch("feedface" * 5, "feedfac", "") == ""  # a prefix names the same commit
