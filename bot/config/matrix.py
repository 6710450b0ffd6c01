"""InferenceX's benchmark matrix (`configs/*-master.yaml`), read as it is and expanded into jobs.

Each top-level key names a matrix entry (model x precision x runner x framework); its scenarios
hold search spaces, each a topology with a concurrency list or range. Validation is strict (an
unknown key is an error, as a typo would silently drop a benchmark) and every error names the
file, the entry and the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, RootModel, ValidationError, model_validator

from bot.config import MASTER_GLOB, ConfigError, Strict, describe, matrix_files, read_yaml
from bot.model import ConfigKey, sku


class _Strict(Strict):
    # InferenceX's keys are kebab-case; fields are read by alias or by name
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Worker(_Strict):
    """One side of a disaggregated deployment."""

    num_worker: int = Field(alias="num-worker", ge=0)  # 0: this side unused (aggregated)
    tp: int = Field(ge=1)
    ep: int = Field(1, ge=1)
    pp: int = Field(1, ge=1)
    dp_attn: bool = Field(False, alias="dp-attn")
    dcp_size: int | None = Field(None, alias="dcp-size", ge=1)
    pcp_size: int | None = Field(None, alias="pcp-size", ge=1)
    additional_settings: list[str] = Field(default_factory=list, alias="additional-settings")

    @property
    def gpus(self) -> int:
        return self.num_worker * self.tp * self.pp


class SearchSpace(_Strict):
    tp: int | None = Field(None, ge=1)
    ep: int = Field(1, ge=1)
    dp_attn: bool = Field(False, alias="dp-attn")
    spec_decoding: str = Field("none", alias="spec-decoding")
    conc_start: int | None = Field(None, alias="conc-start", ge=1)
    conc_end: int | None = Field(None, alias="conc-end", ge=1)
    conc_list: list[int] | None = Field(None, alias="conc-list", min_length=1)
    prefill: Worker | None = None
    decode: Worker | None = None
    kv_offloading: str = Field("none", alias="kv-offloading")
    kv_offload_backend: dict[str, Any] | None = Field(None, alias="kv-offload-backend")
    router: dict[str, Any] | None = None
    kv_p2p_transfer: str | None = Field(None, alias="kv-p2p-transfer")
    dcp_size: int | None = Field(None, alias="dcp-size", ge=1)

    @model_validator(mode="after")
    def _shape(self) -> SearchSpace:
        if self.conc_list is None and (self.conc_start is None or self.conc_end is None):
            raise ValueError("needs conc-list, or conc-start and conc-end")
        if self.conc_start and self.conc_end and self.conc_end < self.conc_start:
            raise ValueError("conc-end is below conc-start")
        if self.conc_list and any(c < 1 for c in self.conc_list):
            raise ValueError("conc-list holds a concurrency below 1")
        if (self.prefill is None) != (self.decode is None):
            raise ValueError("prefill and decode come together")
        if self.prefill is None and self.tp is None:
            raise ValueError("needs tp (or prefill and decode workers)")
        if self.prefill and self.decode and not (self.prefill.num_worker + self.decode.num_worker):
            raise ValueError("prefill and decode both have num-worker 0")
        return self

    @property
    def concurrencies(self) -> tuple[int, ...]:
        """conc-list as given, or conc-start doubling up to conc-end (InferenceX's sweep)."""
        if self.conc_list is not None:
            return tuple(self.conc_list)
        assert self.conc_start is not None and self.conc_end is not None
        out, conc = [], self.conc_start
        while conc <= self.conc_end:
            out.append(conc)
            conc *= 2
        return tuple(out)


class ScenarioItem(_Strict):
    isl: int | None = Field(None, ge=1)
    osl: int | None = Field(None, ge=1)
    dram_utilization: float | None = Field(None, alias="dram-utilization", gt=0, le=1)
    search_space: list[SearchSpace] = Field(alias="search-space", min_length=1)


class MatrixEntry(_Strict):
    image: str = Field(min_length=1)
    model: str = Field(min_length=1)
    model_prefix: str = Field(alias="model-prefix", min_length=1)
    runner: str = Field(min_length=1)
    precision: str = Field(min_length=1)
    framework: str = Field(min_length=1)
    multinode: bool
    disagg: bool = False
    router: dict[str, Any] | None = None
    kv_p2p_transfer: str | None = Field(None, alias="kv-p2p-transfer")
    scenarios: dict[str, list[ScenarioItem]] = Field(min_length=1)

    @model_validator(mode="after")
    def _lengths(self) -> MatrixEntry:
        for name, items in self.scenarios.items():
            for item in items:
                fixed = name == "fixed-seq-len"
                if fixed and (item.isl is None or item.osl is None):
                    raise ValueError(f"scenario {name} needs isl and osl")
        return self

    @property
    def hardware(self) -> str:
        """A runner label's GPU SKU: 'cluster:gb300-nv' -> 'gb300', 'mi355x-disagg' -> 'mi355x'."""
        return sku(self.runner)


class MatrixFile(RootModel[dict[str, MatrixEntry]]):
    pass


@dataclass(frozen=True)
class MatrixJob:
    """One benchmark the matrix asks for: a configuration and how to run it."""

    entry: str  # the matrix entry's name
    config: ConfigKey
    model_id: str  # what the server loads
    image: str
    runner: str  # runs-on label
    concurrencies: tuple[int, ...]
    settings: dict[str, Any]  # the search-space fields a recipe may need, as written


def _scenario(name: str, space: SearchSpace) -> str:
    if space.kv_offloading in ("none", "off"):
        return name
    backend = (space.kv_offload_backend or {}).get("name") or space.kv_offloading
    return f"{name}+offload-{backend}"


def _config(entry: MatrixEntry, scenario: str, item: ScenarioItem, space: SearchSpace) -> ConfigKey:
    common = dict(
        model=entry.model_prefix,
        precision=entry.precision.lower(),
        hardware=entry.hardware,
        framework=entry.framework.lower(),
        isl=item.isl or 0,
        osl=item.osl or 0,
        spec_method=space.spec_decoding.lower(),
        scenario=_scenario(scenario, space),
    )
    if space.prefill is not None and space.decode is not None:
        prefill, decode = space.prefill, space.decode
        serving = decode if decode.num_worker else prefill  # whichever side does decode
        topology = dict(tp=serving.tp, ep=serving.ep, pp=serving.pp, dp_attention=serving.dp_attn)
        gpus = prefill.gpus + decode.gpus
        if not entry.disagg:  # multinode but aggregated: workers on one side only
            return ConfigKey(**common, gpus=gpus, **topology)
        return ConfigKey(
            **common,
            gpus=gpus,
            **topology,
            disagg=True,
            prefill_gpus=prefill.gpus,
            decode_gpus=decode.gpus,
        )
    assert space.tp is not None
    return ConfigKey(**common, gpus=space.tp, tp=space.tp, ep=space.ep, dp_attention=space.dp_attn)


def expand(entries: dict[str, MatrixEntry]) -> Iterator[MatrixJob]:
    for name, entry in entries.items():
        for scenario, items in entry.scenarios.items():
            for item in items:
                for space in item.search_space:
                    yield MatrixJob(
                        entry=name,
                        config=_config(entry, scenario, item, space),
                        model_id=entry.model,
                        image=entry.image,
                        runner=entry.runner,
                        concurrencies=space.concurrencies,
                        settings=space.model_dump(by_alias=True, exclude_defaults=True),
                    )


def load_matrix_file(path: Path) -> dict[str, MatrixEntry]:
    raw = read_yaml(path)
    try:
        return MatrixFile.model_validate(raw if raw is not None else {}).root
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None


def load_matrix(folder: Path | None = None) -> list[MatrixJob]:
    """Every job of every `*-master.yaml` in `folder` (default: `matrix_files()`, the team's
    matrix or the packaged one); entry names must be unique."""
    paths = sorted(folder.glob(MASTER_GLOB)) if folder else matrix_files()
    entries: dict[str, MatrixEntry] = {}
    for path in paths:
        for name, entry in load_matrix_file(path).items():
            if name in entries:
                raise ConfigError(f"{path}: {name}: entry name already used in another file")
            entries[name] = entry
    return list(expand(entries))
