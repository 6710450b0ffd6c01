"""`paretobot configs` and `paretobot builds` on the real result files, and the close names a
selection that matched nothing offers. Expected counts are computed here, from the files or
from `store.load_sweeps` (the loader every analysis uses), never from the listing's own code."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import AGG, RAW, SHARED, load_json

from bot import store
from bot.analysis import select
from bot.analysis.select import closest, selectors
from bot.model import Build

HISTORY = SHARED / "inferencex" / "ci-history"
GPTOSS = ["--hardware", "h100", "--precision", "mxfp4", "--framework", "vllm"]
AGG_IMAGE = load_json(sorted(AGG.glob("agg_*.json"))[0])["image"]  # vllm/vllm-openai-rocm:v0.21.0


def _agg_slug(isl: int, osl: int) -> str:
    """The slug of the real agg files' configuration, spelt here from what the files state."""
    doc = load_json(sorted(AGG.glob("agg_*.json"))[0])
    return "/".join(
        [
            doc["infmax_model_prefix"], doc["precision"], doc["hw"], doc["framework"],
            f"tp{doc['tp']}-ep{doc['ep']}-dpa{doc['dp_attention']}", f"{doc['tp']}gpu",
            f"spec-{doc['spec_decoding']}", f"disagg-{str(doc['disagg']).lower()}",
            f"{isl}x{osl}", "fixed-seq-len",
        ]
    )  # fmt: skip


@pytest.fixture
def fleet(paretobot):
    """The CI history (six days, one faulty and excluded), the agg files and the raw files."""
    for args in (
        [HISTORY, "--framework-version", "v0.5.9"],
        [AGG],
        [RAW, *GPTOSS, "--framework-version", "v0.11.0"],
    ):
        done = paretobot("ingest", *args)
        assert done.code == 0, done.err


def _expected_configs(engine) -> dict[str, dict]:
    """Per slug, what the listing should say, from load_sweeps and the runs' own dates."""
    dates = {r.run_id: r.started_at for r in store.load_runs(engine)}
    found: dict[str, dict] = defaultdict(
        lambda: {"builds": set(), "runs": set(), "points": 0, "sweeps": 0, "failed": 0}
    )
    for s in store.load_sweeps(engine):  # storage order: the last one seen is the latest build
        row = found[s.config.slug]
        row["builds"].add(s.build)
        row["runs"].add(s.run_id)
        row["points"] += len(s.points)
        row["sweeps"] += 1
        row["failed"] += bool(s.failed_at or s.status == "failed")
        row["latest"] = s.build.label
        when = dates[s.run_id] or s.started_at
        if when and (row.get("last") is None or when > row["last"]):
            row["last"] = when
    return found


def test_configs_count_what_load_sweeps_sees(paretobot, engine, fleet):
    rows = paretobot("configs", "--json").json()
    expected = _expected_configs(engine)
    assert [r["slug"] for r in rows] == sorted(expected)
    for row in rows:
        want = expected[row["slug"]]
        assert (row["builds"], row["runs"], row["points"], row["sweeps"]) == (
            len(want["builds"]), len(want["runs"]), want["points"], want["sweeps"],
        ), row["slug"]  # fmt: skip
        assert row["latest_build"]["label"] == want["latest"]
        last = want.get("last")
        assert row["last_run"] == (last.date().isoformat() if last else None)
        assert row["failures"] is (want["failed"] > 0)
    # and against a count the database makes itself: configurations with a sweep of a run that
    # is not excluded (0603_sa_faulty is, by its folder name)
    with engine.connect() as conn:
        kept = conn.execute(
            sa.text(
                "SELECT count(DISTINCT s.config_id) FROM sweeps s LEFT JOIN runs r "
                "ON r.run_id = s.run_id WHERE r.excluded IS NULL OR NOT r.excluded"
            )
        ).scalar()
    assert len(rows) == kept


def test_agg_configurations_and_build_as_the_files_state_them(paretobot, tmp_path):
    assert paretobot("ingest", AGG).code == 0
    files = [load_json(p) for p in sorted(AGG.glob("agg_*.json"))]
    per_lengths: dict[tuple[int, int], int] = defaultdict(int)
    for doc in files:
        per_lengths[(doc["isl"], doc["osl"])] += 1
    rows = paretobot("configs", "--json").json()
    assert {(r["isl"], r["osl"]): r["points"] for r in rows} == per_lengths
    doc = files[0]
    for r in rows:
        assert (r["model"], r["hardware"], r["precision"], r["framework"], r["gpus"]) == (
            doc["infmax_model_prefix"], doc["hw"], doc["precision"], doc["framework"], doc["tp"],
        )  # fmt: skip
        assert r["topology"] == f"tp{doc['tp']}-ep{doc['ep']}-dpa{doc['dp_attention']}"
        assert (r["builds"], r["runs"], r["last_run"], r["failures"]) == (1, 1, None, False)
        assert r["latest_build"]["label"] == AGG_IMAGE.rsplit("/", 1)[1]
    (build,) = paretobot("builds", "--json").json()
    assert build["image"] == AGG_IMAGE and build["configurations"] == len(per_lengths)
    assert build["selector"] == AGG_IMAGE.rsplit(":", 1)[1]  # the version: v0.21.0
    assert build["points"] == len(files)
    text = paretobot("configs").out.splitlines()
    assert text[0].split() == [
        "CONFIGURATION", "BUILDS", "RUNS", "POINTS", "LATEST", "BUILD", "LAST", "RUN", "FAILURES",
    ]  # fmt: skip
    assert [line.split()[0] for line in text[1:-1]] == sorted(_agg_slug(*k) for k in per_lengths)
    assert text[-1].startswith(f"{len(per_lengths)} configuration(s);")


@pytest.mark.parametrize(
    "option, value, field, want",
    [
        ("--model", "QWEN3.5", "model", lambda v: "qwen3.5" in v.lower()),
        ("--hardware", "MI300X", "hardware", lambda v: v.lower() == "mi300x"),
        ("--precision", "fp4", "precision", lambda v: "fp4" in v.lower()),
        ("--framework", "VLLM", "framework", lambda v: "vllm" in v.lower()),
        ("--config", "*/mi355x/*agentic-coding", "slug", lambda v: "/mi355x/" in v
         and v.endswith("agentic-coding")),
    ],
)  # fmt: skip
def test_filters_are_case_insensitive_and_keep_exactly_the_matching_rows(
    paretobot, engine, fleet, option, value, field, want
):
    rows = paretobot("configs", "--json", option, value).json()
    slugs = {s.config.slug: s.config for s in store.load_sweeps(engine)}
    value_of = {slug: (slug if field == "slug" else getattr(c, field)) for slug, c in slugs.items()}
    expected = sorted(slug for slug, v in value_of.items() if want(v))
    assert expected and len(expected) < len(slugs)  # the filter keeps some and drops some
    assert [r["slug"] for r in rows] == expected


def test_filters_combine(paretobot, engine, fleet):
    rows = paretobot("configs", "--json", "--model", "glm", "--hardware", "mi355x").json()
    expected = sorted(
        {
            s.config.slug
            for s in store.load_sweeps(engine)
            if "glm" in s.config.model and s.config.hardware == "mi355x"
        }
    )
    assert expected and [r["slug"] for r in rows] == expected
    done = paretobot("configs", "--model", "glm", "--hardware", "h100")
    assert done.code == 1
    assert done.err == (
        "paretobot: each of --model glm --hardware h100 matches stored configurations, but none "
        "matches them all; drop one to see what each matches with `paretobot configs`\n"
    )


def test_builds_list_a_selector_that_selects_that_build_only(paretobot, engine, fleet):
    rows = paretobot("builds", "--json").json()
    sweeps = store.load_sweeps(engine)
    stored = {s.build for s in sweeps}
    assert len(rows) == len(stored)
    for row in rows:
        build = Build(**{k: row[k] for k in ("framework", "version", "commit", "image",
                                              "image_digest")})  # fmt: skip
        assert [b for b in stored if b.matches(row["selector"])] == [build]
        mine = [s for s in sweeps if s.build == build]
        assert row["configurations"] == len({s.config for s in mine})
        assert row["runs"] == len({s.run_id for s in mine})
        assert row["points"] == sum(len(s.points) for s in mine)
        # the selector as printed is what `compare` and `frontier` pick builds with
        assert {s.build for s in select.pick(sweeps, row["selector"])} == {build}
    # --config keeps the builds of the matching configurations; --framework filters builds
    only = paretobot("builds", "--json", "--config", "gpt-oss").json()
    assert [r["version"] for r in only] == ["v0.11.0"]
    sglang = paretobot("builds", "--json", "--framework", "SGLang").json()
    assert sglang and {r["framework"] for r in sglang} == {"sglang"}
    assert len(sglang) == len({b for b in stored if b.framework == "sglang"})


def test_builds_text_shows_the_selector_to_paste(paretobot, fleet):
    lines = paretobot("builds").out.splitlines()
    assert lines[0].split() == [
        "BUILD", "FRAMEWORK", "CONFIGS", "RUNS", "FIRST", "RUN", "LAST", "RUN", "SELECTOR",
    ]  # fmt: skip
    kimi = next(line for line in lines if line.startswith(AGG_IMAGE.rsplit("/", 1)[1]))
    assert kimi.split()[-1] == AGG_IMAGE.rsplit(":", 1)[1]
    assert lines[-1].endswith("`paretobot compare --baseline SELECTOR --candidate SELECTOR`")


def test_json_shape(paretobot, fleet):
    (row, *_) = paretobot("configs", "--json").json()
    assert set(row) == {
        "slug", "model", "precision", "hardware", "framework", "isl", "osl", "gpus", "tp", "ep",
        "pp", "dp_attention", "spec_method", "disagg", "prefill_gpus", "decode_gpus", "scenario",
        "topology", "lengths", "builds", "runs", "sweeps", "points", "latest_build", "first_run",
        "last_run", "failed_sweeps", "failures", "excluded_runs",
    }  # fmt: skip
    assert set(row["latest_build"]) == {
        "label", "selector", "framework", "version", "commit", "image", "image_digest",
    }  # fmt: skip
    (build, *_) = paretobot("builds", "--json").json()
    assert {"label", "selector", "configurations", "runs", "first_run", "last_run"} <= set(build)


def test_excluded_runs_are_counted_apart(paretobot, engine):
    assert paretobot("ingest", AGG).code == 0
    assert paretobot("runs", "exclude", "agg", "--reason", "bad node").code == 0
    done = paretobot("configs")
    assert done.code == 0
    assert done.out == (
        "no results stored (excluded runs aside: `paretobot runs` lists them); load some with "
        "`paretobot ingest PATH`\n"
    )
    assert paretobot("configs", "--json").json() == []
    done = paretobot("frontier", "--config", "kimik2.5")
    assert done.code == 1
    assert done.err == (
        "paretobot: no results stored matching 'kimik2.5'; only excluded runs have results of it "
        "(`paretobot runs` lists them)\n"
    )
    assert paretobot("runs", "include", "agg").code == 0
    assert all(r["excluded_runs"] == 0 for r in paretobot("configs", "--json").json())


def test_a_partly_excluded_configuration_says_how_many_runs_are_left_out(paretobot, engine):
    assert paretobot("ingest", HISTORY, "--framework-version", "v0.5.9").code == 0
    with engine.connect() as conn:
        faulty = conn.execute(
            sa.text(
                "SELECT c.slug, count(DISTINCT s.run_id) FROM sweeps s JOIN configs c ON "
                "c.id = s.config_id JOIN runs r ON r.run_id = s.run_id WHERE r.excluded "
                "GROUP BY c.slug"
            )
        ).all()
    assert faulty  # the 0603_sa_faulty folder is excluded on ingest
    rows = {r["slug"]: r for r in paretobot("configs", "--json").json()}
    for slug, runs in faulty:
        assert rows[slug]["excluded_runs"] == runs


HOSTILE_MODEL = "::error::pwned ##[set-output name=x]**b**|$(id)<img src=x>"


def _hostile_copy(tmp_path: Path, **fields) -> Path:
    """A real agg file copied, with some fields changed in the copy."""
    source = sorted(AGG.glob("agg_*.json"))[0]
    folder = tmp_path / "hostile"
    folder.mkdir(exist_ok=True)
    target = folder / source.name
    shutil.copy(source, target)
    target.write_text(json.dumps(load_json(target) | fields))
    return folder


def test_hostile_model_names_are_shown_as_safe_text(paretobot, engine, tmp_path):
    folder = _hostile_copy(tmp_path, infmax_model_prefix=HOSTILE_MODEL)
    assert paretobot("ingest", folder).code == 0
    # a control character never reaches the store through ingest; a store written otherwise
    # (an older paretobot, a hand edit) is shown safely all the same
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE configs SET model = :m"), {"m": HOSTILE_MODEL + "\x1b[2J\nX"})
    out = paretobot("configs").out
    lines = out.splitlines()
    assert len(lines) == 3  # header, one configuration, the count: the newline did not split it
    assert "\x1b" not in out and "##[" not in out
    assert not any(line.lstrip().startswith("::") for line in lines)
    assert lines[1].startswith(":\u200b:error::pwned ##\u200b[set-output")
    # JSON keeps the value whole (a parser reads the same text back), only `##[` escaped
    (row,) = paretobot("configs", "--json").json()
    assert row["model"] == HOSTILE_MODEL + "\x1b[2J\nX"
    assert "##[" not in paretobot("configs", "--json").out


def test_a_file_with_an_escape_in_its_model_is_quarantined_and_not_listed(paretobot, tmp_path):
    folder = _hostile_copy(tmp_path, infmax_model_prefix="kimi\x1b[31m\nred")
    done = paretobot("ingest", folder)
    assert done.code == 1 and "holds a control character" in done.err
    assert paretobot("configs", "--json").json() == []


def test_a_hostile_image_tag_pastes_as_one_shell_word(paretobot, tmp_path):
    image = "vllm/vllm-openai-rocm:v1;$(touch pwned)"
    assert paretobot("ingest", _hostile_copy(tmp_path, image=image)).code == 0
    (row,) = paretobot("builds", "--json").json()
    assert row["selector"] == "v1;$(touch pwned)"
    line = paretobot("builds").out.splitlines()[1]
    assert line.endswith(" 'v1;$(touch pwned)'")  # quoted: the shell runs nothing


# ---- a selection that matches nothing names what is close ------------------------------------


def test_a_config_pattern_that_matches_nothing_names_the_closest_slugs(paretobot):
    assert paretobot("ingest", AGG).code == 0
    done = paretobot("frontier", "--config", "kimik2.5-int4-8192x1024")
    assert done.code == 1
    # every part is in the 8192x1024 slug, two of three in the 1024x1024 one
    assert done.err == (
        "paretobot: no results stored matching 'kimik2.5-int4-8192x1024'; closest: "
        f"{_agg_slug(8192, 1024)}, {_agg_slug(1024, 1024)}; list them with `paretobot configs`\n"
    )
    done = paretobot("history", "--config", "llama3-70b-h100")
    assert done.err == (
        "paretobot: no results stored matching 'llama3-70b-h100'; nothing close among 2 stored "
        "configurations; list them with `paretobot configs`\n"
    )
    done = paretobot(
        "compare", "--baseline", "v0.21.0", "--candidate", "v0.21.0", "--config", "zzz"
    )
    assert done.code == 1 and "no results stored matching 'zzz'" in done.err


def test_a_build_that_matches_nothing_names_the_closest_builds(paretobot):
    assert paretobot("ingest", AGG).code == 0
    label = AGG_IMAGE.rsplit("/", 1)[1]
    done = paretobot("compare", "--baseline", "v0.21.0", "--candidate", "v0.2l.0")
    assert done.code == 1
    assert done.err == (
        "paretobot: no configuration has results for both 'v0.21.0' and 'v0.2l.0' (a build is "
        "named by version, image tag or commit prefix; a run by run:ID); 'v0.2l.0' names no "
        f"stored build (closest: {label}); list them with `paretobot builds`\n"
    )
    done = paretobot("frontier", "--build", "v0.21.1")
    assert done.err == (
        "paretobot: no stored sweep matches build 'v0.21.1'; closest: "
        f"{label}; list them with `paretobot builds`\n"
    )


def test_builds_of_no_common_configuration_point_to_the_listing(paretobot, fleet):
    done = paretobot("compare", "--baseline", "v0.21.0", "--candidate", "v0.11.0")
    assert done.code == 1
    assert done.err.endswith(
        "a run by run:ID); `paretobot builds --config PATTERN` lists the builds of configurations\n"
    )


def test_listing_filters_that_match_nothing_name_the_closest_values(paretobot):
    assert paretobot("ingest", AGG).code == 0
    model = load_json(sorted(AGG.glob("agg_*.json"))[0])["infmax_model_prefix"]
    done = paretobot("configs", "--model", "kimi2.5")
    assert (done.code, done.out) == (1, "")
    assert done.err == (
        f"paretobot: no configuration has model 'kimi2.5'; closest: {model}; list them with "
        "`paretobot configs`\n"
    )
    done = paretobot("builds", "--config", "kimik2.5-8192")
    assert done.code == 1
    assert done.err == (
        f"paretobot: no configuration matches 'kimik2.5-8192'; closest: {_agg_slug(8192, 1024)}, "
        f"{_agg_slug(1024, 1024)}; list them with `paretobot configs`\n"
    )
    done = paretobot("builds", "--framework", "sglang")
    assert done.code == 1 and done.err.startswith(
        "paretobot: no stored build is of framework 'sglang'; "
    )


def test_empty_store(paretobot):
    for command, noun in (("configs", "configurations"), ("builds", "builds")):
        done = paretobot(command)
        assert (done.code, done.err) == (0, "")
        assert done.out == f"no {noun} stored; load some with `paretobot ingest PATH`\n"
        assert paretobot(command, "--json").json() == []
    # filters on an empty store: nothing to be close to, the same line
    assert paretobot("configs", "--model", "x").out.startswith("no configurations stored")
    done = paretobot("frontier", "--config", "x")
    assert done.err == (
        "paretobot: no results stored matching 'x'; load some with `paretobot ingest PATH`\n"
    )


def test_usage_errors_exit_2(paretobot):
    with pytest.raises(SystemExit) as exc:
        paretobot("configs", "--no-such-option")
    assert exc.value.code == 2


# ---- the pure parts ------------------------------------------------------------------------------


def test_selectors_name_one_build_each_or_none():
    a = Build("vllm", "v0.1.0", commit="a" * 40)
    b = Build("vllm", "v0.1.0", commit="a" * 12 + "b" * 28)  # same version, commits share 12
    c = Build("vllm", "0.2.0", image="repo/vllm:nightly")
    d = Build("vllm", "0.2.0", image="repo/vllm:nightly", image_digest="sha256:1")
    e = Build("sglang", "v0.2.0")  # 'v0.2.0' and '0.2.0' name the same version
    chosen = selectors([a, b, c, d, e])
    assert chosen[a] == "a" * 40 and chosen[b] == "a" * 12 + "b" * 28
    assert chosen[c] is None and chosen[d] is None  # only the digest tells them apart
    assert chosen[e] == "sglang v0.2.0"
    for build, selector in chosen.items():
        if selector:
            assert [x for x in (a, b, c, d, e) if x.matches(selector)] == [build]


def test_closest_prefers_names_holding_the_parts_then_similar_spellings():
    slugs = ["llama3.1-70b/fp8/h100/vllm", "llama3.1-8b/fp8/h100/vllm", "qwen3/fp8/b200/sglang"]
    assert closest("llama3-70b-h100", slugs) == slugs[:2]
    assert closest("v0.5.8", ["sglang v0.5.9", "v0.5.9", "v0.21.0"]) == ["v0.5.9", "sglang v0.5.9"]
    assert closest("deepseek", slugs) == []
    # one part of three in common (the GPU) is not close
    assert closest("deepseek-671b-b200", slugs) == []
    assert closest("x", []) == []


def test_a_version_two_builds_share_is_refused_and_builds_gives_each_its_own(
    paretobot, engine, tmp_path
):
    source = sorted(AGG.glob("agg_*.json"))[0]
    tag = AGG_IMAGE.rsplit(":", 1)[1]
    images = (AGG_IMAGE, f"rocm/vllm-dev:{tag}")  # two images of one version: two builds
    for day, image in zip(("0601", "0602"), images, strict=True):
        (tmp_path / day).mkdir()
        (tmp_path / day / source.name).write_text(json.dumps(load_json(source) | {"image": image}))
        assert paretobot("ingest", tmp_path / day).code == 0
    done = paretobot("frontier", "--build", tag)
    assert done.code == 1
    labels = sorted(i.rsplit("/", 1)[1] for i in images)
    assert done.err == (
        f"paretobot: '{tag}' matches more than one build ({', '.join(labels)}); be more "
        "specific: `paretobot builds` gives each build a selector that names only it\n"
    )
    rows = paretobot("builds", "--json").json()
    assert [r["selector"] for r in rows] == list(images)  # the version and tag are shared
    sweeps = store.load_sweeps(engine)
    for row in rows:
        assert {s.build.image for s in select.pick(sweeps, row["selector"])} == {row["image"]}


def test_a_pattern_of_excluded_runs_only_says_so(paretobot):
    assert paretobot("ingest", AGG).code == 0
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    assert paretobot("runs", "exclude", "agg", "--reason", "bad node").code == 0
    done = paretobot("configs", "--config", "kimik2.5")
    assert done.code == 1
    assert done.err == (
        "paretobot: no configuration matches 'kimik2.5'; only excluded runs have results of it "
        "(`paretobot runs` lists them)\n"
    )
