"""Turns what a file states plus the metadata given for it into a ConfigKey, a Build and a run."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.fields import IngestError
from bot.ingest.metadata import Metadata
from bot.model import Build, ConfigKey

# Facts of the measurement itself: when the file states one, metadata may not contradict it.
# (Names such as model or precision may be overridden: teams rename models.)
_MEASURED = ("hardware", "gpus", "prefill_gpus", "decode_gpus", "framework_version", "isl", "osl")


@dataclass(frozen=True)
class Identity:
    config: ConfigKey
    build: Build
    run_id: str
    repeat: int


def _missing(field: str, hint: str) -> IngestError:
    return IngestError(
        f"{field} unknown: the file does not say; pass {hint} or set it in a sidecar "
        "(paretobot-meta.json beside the file)"
    )


def _gpu_count(m: Metadata) -> int:
    if m.gpus is not None:
        return m.gpus
    if m.disagg:
        if not m.prefill_gpus or not m.decode_gpus:
            raise _missing("GPU count", "--prefill-gpus and --decode-gpus (or --gpus)")
        return m.prefill_gpus + m.decode_gpus
    if m.tp is not None:
        return m.tp * (m.pp or 1)
    raise _missing("GPU count", "--gpus or --tp")


def _tensor_parallel(m: Metadata, gpus: int, pp: int) -> int:
    if m.tp is not None:
        return m.tp
    # One replica per node is the common case: tp fills the GPUs unless told otherwise.
    return 1 if m.disagg else max(1, gpus // pp)


def _version(m: Metadata) -> str:
    if m.framework_version:
        return m.framework_version
    if m.image and ":" in m.image.rsplit("/", 1)[-1]:
        return m.image.rsplit(":", 1)[-1]
    raise _missing("framework version", "--framework-version (or an --image with a tag)")


def identify(stated: Metadata, given: Metadata, default_run_id: str) -> Identity:
    """Merge what the file states with metadata from options/sidecars; refuse contradictions."""
    for key in _MEASURED:
        a, b = getattr(stated, key), getattr(given, key)
        if a is not None and b is not None and str(a).lower() != str(b).lower():
            raise IngestError(f"metadata says {key}={b!r} but the file says {key}={a!r}")
    m = given.over(stated)
    for key, hint in (
        ("hardware", "--hardware"),
        ("framework", "--framework"),
        ("model", "--model"),
        ("precision", "--precision"),
        ("isl", "--isl"),
        ("osl", "--osl"),
    ):
        if getattr(m, key) is None:
            raise _missing(key, hint)
    gpus = _gpu_count(m)
    pp = m.pp or 1
    assert m.hardware and m.framework and m.model and m.precision  # checked above
    assert m.isl is not None and m.osl is not None
    config = ConfigKey(
        model=m.model,
        precision=m.precision.lower(),
        hardware=m.hardware.lower(),
        framework=m.framework.lower(),
        isl=m.isl,
        osl=m.osl,
        gpus=gpus,
        tp=_tensor_parallel(m, gpus, pp),
        ep=m.ep or 1,
        pp=pp,
        dp_attention=bool(m.dp_attention),
        spec_method=(m.spec_method or "none").lower(),
        disagg=bool(m.disagg),
        prefill_gpus=(m.prefill_gpus or 0) if m.disagg else 0,
        decode_gpus=(m.decode_gpus or 0) if m.disagg else 0,
        scenario=m.scenario or "fixed-seq-len",
    )
    build = Build(
        framework=config.framework,
        version=_version(m),
        commit=m.framework_commit or "",
        image=m.image or "",
        image_digest=m.image_digest or "",
    )
    return Identity(config, build, m.run_id or default_run_id, m.repeat or 0)
