"""Cost per million tokens, tokens per MW, and the versioned price table."""

from __future__ import annotations

import pytest

from bot.analysis.economics import frontier_point
from bot.config import ConfigError, load_prices
from bot.model import Point


def test_costs_from_the_first_generation_table():
    prices = load_prices()
    fp = frontier_point(
        Point(concurrency=8, tput_per_gpu=1000.0, interactivity=50.0), "h100", prices
    )
    # H100: $1.30/GPU-hr at a hyperscaler; 1000 tok/s is 3.6 M tok/hr -> 1.30 / 3.6 $/Mtok
    assert fp.cost_per_mtok["hyperscaler"] == pytest.approx(0.361111, rel=1e-5)
    assert fp.cost_per_mtok["neocloud"] == pytest.approx(1.69 / 3.6)
    assert fp.cost_per_mtok["rental-3yr"] == pytest.approx(1.30 / 3.6)
    # 1.73 kW all-in per GPU: 1000 tok/s per GPU is 1000 * 1000 / 1.73 tok/s per MW
    assert fp.tokens_per_mw == pytest.approx(578034.68, rel=1e-7)


def test_runner_names_map_to_their_sku_and_unknown_hardware_has_no_price():
    prices = load_prices()
    point = Point(concurrency=1, tput_per_gpu=100.0, interactivity=10.0)
    assert frontier_point(point, "b200-dgxc-slurm", prices).tokens_per_mw == pytest.approx(
        100 * 1000 / 2.17
    )
    cpu = frontier_point(point, "cpu", prices)
    assert cpu.cost_per_mtok == {} and cpu.tokens_per_mw is None


def test_newest_version_wins(tmp_path):
    path = tmp_path / "hardware.yaml"
    path.write_text(
        """tables:
  - {version: 1, date: 2026-01-01, source: a, tiers: [t], gpus: {h100: {kw_all_in: 1, usd_per_gpu_hour: {t: 1}}}}
  - {version: 2, date: 2026-06-01, source: b, tiers: [t], gpus: {h100: {kw_all_in: 2, usd_per_gpu_hour: {t: 3}}}}
"""  # noqa: E501
    )
    table = load_prices(path)
    assert (table.version, table.source, table.gpus["h100"].kw_all_in) == (2, "b", 2.0)


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "tables"),
        ("tables: [", "cannot read YAML"),
        ("tables: []", "tables"),
        (
            "tables: [{version: 1, date: 2026-01-01, source: s, tiers: [a, b], "
            "gpus: {h100: {kw_all_in: 1, usd_per_gpu_hour: {a: 1}}}}]",
            "gpus.h100.usd_per_gpu_hour",
        ),
        (
            "tables: [{version: 1, date: 2026-01-01, source: s, tiers: [a], "
            "gpus: {h100: {kw_all_in: -1, usd_per_gpu_hour: {a: 1}}}}]",
            "tables.0.gpus.h100.kw_all_in",
        ),
        (
            "tables: [{version: 1, date: 2026-01-01, source: s, tiers: [a], "
            "gpus: {h100: {kw_all_in: 1, usd_per_gpu_hour: {a: 0}}}}]",
            "price <= 0",
        ),
        (
            "tables: [{version: 1, date: 2026-01-01, source: s, tiers: [a], gpus: {}, extra: 1}]",
            "tables.0.extra",
        ),
    ],
)
def test_bad_price_tables_name_file_key_and_field(tmp_path, text, words):
    path = tmp_path / "hardware.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_prices(path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_missing_table_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_prices(tmp_path / "absent.yaml")


def test_analysis_policy_file_and_errors(tmp_path):
    from bot.config import AnalysisPolicy, load_policy

    shipped = load_policy()
    assert shipped.min_effect == 0.02 and shipped.verdict_alpha == 0.01
    assert shipped.targets == (20.0, 35.0, 50.0)
    empty = tmp_path / "analysis.yaml"
    empty.write_text("")
    assert load_policy(empty) == AnalysisPolicy()
    for text, words in [
        ("min_effect: -0.1", "min_effect"),
        ("changepoints: {alpha: 2}", "changepoints.alpha"),
        ("changepoints: {aplha: 0.1}", "changepoints.aplha"),
        ("min_effect: 0.1\nequivalence: 0.05", "equivalence must be at least min_effect"),
        ("targets: [35, -1]", "targets must be positive"),
        ("- a list", "(top)"),
    ]:
        empty.write_text(text)
        with pytest.raises(ConfigError) as caught:
            load_policy(empty)
        assert str(empty) in str(caught.value) and words in str(caught.value), text
