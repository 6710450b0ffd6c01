"""Turns what a file states plus the metadata given for it into a ConfigKey, a Build and a run."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.ingest import model_key
from bot.ingest.fields import IngestError
from bot.ingest.infer import precision_from_model
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
    version_source: str  # "file", "image tag" (the file's), "metadata" (options or sidecar)


_HINTS = {
    "hardware": "--hardware",
    "framework": "--framework",
    "model": "--model",
    "precision": "--precision",
    "isl": "--isl",
    "osl": "--osl",
    "GPU count": "--gpus (or --tp)",
    "framework version": "--framework-version",
}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _missing(names: list[str]) -> IngestError:
    """Every missing fact in one message, so one run of ingest tells the whole story."""
    hints = ", ".join(_HINTS[n] for n in names)
    return IngestError(
        f"{_and(names)} unknown: the file does not say; pass {hints} or a sidecar "
        "(paretobot-meta.json beside the file)"
    )


def _gpu_count(m: Metadata) -> int | None:
    if m.gpus is not None:
        return m.gpus
    if m.disagg:
        if not m.prefill_gpus or not m.decode_gpus:
            return None
        return m.prefill_gpus + m.decode_gpus
    if m.tp is not None:
        return m.tp * (m.pp or 1)
    return None


def _tensor_parallel(m: Metadata, gpus: int, pp: int) -> int:
    if m.tp is not None:
        return m.tp
    # One replica per node is the common case: tp fills the GPUs unless told otherwise.
    return 1 if m.disagg else max(1, gpus // pp)


def _tag(image: str | None) -> str | None:
    if image and ":" in image.rsplit("/", 1)[-1]:
        return image.rsplit(":", 1)[-1]
    return None


def _version(stated: Metadata, m: Metadata) -> tuple[str, str] | None:
    """(version, where it came from). What the file states (a version, its image's tag) wins over
    a version given for files that state none; a given image's tag comes last."""
    if stated.framework_version:
        return stated.framework_version, "file"
    if _tag(stated.image):
        return str(_tag(stated.image)), "image tag"
    if m.framework_version:
        return m.framework_version, "metadata"
    if _tag(m.image):
        return str(_tag(m.image)), "metadata"
    return None


def identify(stated: Metadata, given: Metadata, default_run_id: str) -> Identity:
    """Merge what the file states with metadata from options/sidecars; refuse contradictions."""
    for key in _MEASURED:
        a, b = getattr(stated, key), getattr(given, key)
        if a is not None and b is not None and str(a).lower() != str(b).lower():
            raise IngestError(f"metadata says {key}={b!r} but the file says {key}={a!r}")
    m = given.over(stated)
    if m.precision is None and m.model:
        m = m.model_copy(update={"precision": precision_from_model(m.model)})
    missing = [k for k in ("hardware", "framework", "model", "precision", "isl", "osl")]
    missing = [k for k in missing if getattr(m, k) is None]
    gpus = _gpu_count(m)
    if gpus is None:
        missing.append("GPU count")
    version = _version(stated, m)
    if version is None:
        missing.append("framework version")
    if missing:
        raise _missing(missing)
    pp = m.pp or 1
    assert m.hardware and m.framework and m.model and m.precision  # checked above
    assert m.isl is not None and m.osl is not None and gpus is not None and version is not None
    config = ConfigKey(
        model=model_key(m.model),
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
        version=version[0],
        commit=m.framework_commit or "",
        image=m.image or "",
        image_digest=m.image_digest or "",
    )
    return Identity(config, build, m.run_id or default_run_id, m.repeat or 0, version[1])
