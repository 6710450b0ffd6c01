"""How commands reach the machine: a local process, `docker run`, or Slurm `srun` with pyxis.

A launcher only wraps argv lists (and the environment) around the recipe's commands. The one
shell string it builds is the build at a commit inside a container (`install_commands`): the
recipe's argv lists, each word quoted by `shlex.join`, so no job text can become shell syntax
(and the runner refuses a commit that is not hex before anything runs). The docker and srun
forms are what InferenceX's fleets run: the framework's own image, the GPUs handed over, the
results folder mounted at the same path, so the client's result files land where paretobot
looks for them.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ParetobotError
from bot.launchers import KINDS
from bot.runner.recipe import Recipe

CONTAINER_HF_CACHE = "/root/.cache/huggingface"
# Secrets the containers need, passed by name only: docker and pyxis copy the value from
# paretobot's own environment, so it never appears in a command line or in the run record.
PASS_BY_NAME = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


class LaunchError(ParetobotError, ValueError):
    """The job cannot be launched this way (e.g. docker without an image)."""


@dataclass(frozen=True)
class Launcher:
    kind: str
    image: str = ""
    container: str = ""  # docker container / pyxis container name for this job
    mounts: tuple[str, ...] = ()  # host paths mounted at the same path in the container
    hf_cache: str | None = None  # the host's Hugging Face cache, for the container's root user
    gpu_args: tuple[str, ...] = ()
    docker_args: tuple[str, ...] = ()
    base_env: dict[str, str] = field(default_factory=dict)  # paretobot's own environment
    # the job's image when the job's build is installed into it at a commit: `image` is then
    # what the install makes of it (docker: a committed image; srun: the named container)
    build_from: str = ""

    @property
    def build_container(self) -> str:
        return f"{self.container}-build"

    @property
    def bind_host(self) -> str:
        """Where the server listens: only on loopback, unless a container must publish it."""
        return "127.0.0.1" if self.kind == "local" else "0.0.0.0"

    @property
    def client_host(self) -> str:
        return "127.0.0.1"


def make_launcher(
    kind: str,
    recipe: Recipe,
    image: str,
    container: str,
    mounts: list[Path],
    base_env: dict[str, str] | None = None,
    installs: bool = False,
) -> Launcher:
    """`installs`: the job's build is installed at a commit before it runs. A container started
    for one command is thrown away with what was installed in it, so under docker the install
    runs in a build container committed as the image every later command uses, and under srun
    in the pyxis container named for the job, which later commands reuse."""
    if kind not in KINDS:
        raise LaunchError(f"unknown launcher {kind!r}; one of {', '.join(KINDS)}")
    if kind != "local" and not image:
        raise LaunchError(f"the {kind} launcher needs the job's image")
    env = dict(os.environ if base_env is None else base_env)
    seen: list[str] = []
    for path in mounts:
        text = str(path.resolve())
        if text not in seen:
            seen.append(text)
    built = installs and kind == "docker"
    return Launcher(
        kind=kind,
        image=f"paretobot-build:{container[:128]}" if built else image,
        build_from=image if installs and kind != "local" else "",
        container=container,
        mounts=tuple(seen),
        hf_cache=_hf_cache(env) if kind != "local" else None,
        gpu_args=tuple(recipe.docker.gpu_args),
        docker_args=tuple(recipe.docker.args),
        base_env=env,
    )


def _hf_cache(env: dict[str, str]) -> str | None:
    """Weights are downloaded once per machine, not once per container: PARETOBOT_HF_CACHE, else
    HF_HOME, else ~/.cache/huggingface when it exists."""
    for path in (env.get("PARETOBOT_HF_CACHE"), env.get("HF_HOME")):
        if path:
            return str(Path(path).resolve())
    default = Path(env.get("HOME", "/nonexistent")) / ".cache" / "huggingface"
    return str(default) if default.is_dir() else None


def _mount_pairs(launcher: Launcher) -> list[tuple[str, str]]:
    pairs = [(m, m) for m in launcher.mounts]
    if launcher.hf_cache:
        pairs.append((launcher.hf_cache, CONTAINER_HF_CACHE))
    return pairs


def _env_args(env: dict[str, str]) -> list[str]:
    args = []
    for name, value in env.items():
        args += ["-e", f"{name}={value}"]
    return args


def _pass_by_name(launcher: Launcher, style: str) -> list[str]:
    names = [n for n in PASS_BY_NAME if n in launcher.base_env]
    if style == "docker":
        return [arg for n in names for arg in ("-e", n)]
    return names


def _srun_common(launcher: Launcher, env: dict[str, str]) -> list[str]:
    args = ["--no-container-mount-home"]
    if _mount_pairs(launcher):
        pairs = _mount_pairs(launcher)
        args.append("--container-mounts=" + ",".join(f"{h}:{c}" for h, c in pairs))
    names = list(env) + _pass_by_name(launcher, "srun")
    if names:
        args.append("--container-env=" + ",".join(names))
    return args


def server_command(
    launcher: Launcher, argv: list[str], env: dict[str, str], port: int
) -> tuple[list[str], dict[str, str]]:
    """(argv, full environment) that start the server."""
    full_env = {**launcher.base_env, **env}
    if launcher.kind == "local":
        return list(argv), full_env
    if launcher.kind == "docker":
        cmd = ["docker", "run", "--rm", "--name", launcher.container]
        cmd += [*launcher.gpu_args, "--ipc", "host", *launcher.docker_args]
        cmd += ["-p", f"127.0.0.1:{port}:{port}"]
        cmd += _env_args(env) + _pass_by_name(launcher, "docker")
        for host, inside in _mount_pairs(launcher):
            cmd += ["-v", f"{host}:{inside}"]
        # The image's entrypoint (vllm/vllm-openai's is `vllm serve`) is replaced by argv[0].
        cmd += ["--entrypoint", argv[0], launcher.image, *argv[1:]]
        return cmd, dict(launcher.base_env)
    cmd = ["srun", "--ntasks=1", f"--container-image={launcher.image}"]
    cmd += [f"--container-name={launcher.container}", *_srun_common(launcher, env), *argv]
    return cmd, full_env


def client_command(
    launcher: Launcher, argv: list[str], env: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """(argv, full environment) that run one client in the server's container."""
    full_env = {**launcher.base_env, **env}
    if launcher.kind == "local":
        return list(argv), full_env
    if launcher.kind == "docker":
        cmd = ["docker", "exec", *_env_args(env), *_pass_by_name(launcher, "docker")]
        return [*cmd, launcher.container, *argv], dict(launcher.base_env)
    cmd = ["srun", "--ntasks=1", "--overlap", f"--container-name={launcher.container}"]
    return [*cmd, *_srun_common(launcher, env), *argv], full_env


def once_command(
    launcher: Launcher, argv: list[str], env: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) for a short command in a fresh container (the version query)."""
    full_env = {**launcher.base_env, **env}
    if launcher.kind == "local":
        return list(argv), full_env
    if launcher.kind == "docker":
        cmd = ["docker", "run", "--rm", *_env_args(env), "--entrypoint", argv[0]]
        return [*cmd, launcher.image, *argv[1:]], dict(launcher.base_env)
    cmd = ["srun", "--ntasks=1", "--overlap", f"--container-image={launcher.image}"]
    if launcher.build_from:  # the build was installed into the job's named container
        cmd.append(f"--container-name={launcher.container}")
    return [*cmd, *_srun_common(launcher, env), *argv], full_env


def install_commands(
    launcher: Launcher, argvs: list[list[str]], env: dict[str, str]
) -> list[tuple[list[str], dict[str, str]]]:
    """(argv, environment) of each step that installs the build inside the job's container:
    docker runs the recipe's steps in a build container from the job's image and commits it as
    `launcher.image`; srun runs them in the job's named pyxis container (pyxis keeps a named
    container for the job, and the server and clients start in it). Local: the steps as they
    are."""
    if launcher.kind == "local" or not argvs:
        return [(list(argv), {**launcher.base_env, **env}) for argv in argvs]
    script = " && ".join(shlex.join(argv) for argv in argvs)
    if launcher.kind == "docker":
        base = dict(launcher.base_env)
        build = launcher.build_container
        run = ["docker", "run", "--name", build, *_env_args(env)]
        run += _pass_by_name(launcher, "docker")
        for host, inside in _mount_pairs(launcher):
            run += ["-v", f"{host}:{inside}"]
        run += ["--entrypoint", "sh", launcher.build_from, "-c", script]
        return [(run, base), (["docker", "commit", build, launcher.image], base),
                (["docker", "rm", build], base)]  # fmt: skip
    cmd = ["srun", "--ntasks=1", f"--container-image={launcher.build_from}"]
    cmd += [f"--container-name={launcher.container}", *_srun_common(launcher, env)]
    return [([*cmd, "sh", "-c", script], {**launcher.base_env, **env})]


def cleanup_commands(launcher: Launcher) -> list[list[str]]:
    """Run after the job: SIGKILL to `docker run` leaves the container running, so it is removed
    by name, and so are a build container an interrupted install left and the image it made."""
    if launcher.kind != "docker":
        return []
    cleanup = [["docker", "rm", "--force", launcher.container]]
    if launcher.build_from:
        cleanup += [["docker", "rm", "--force", launcher.build_container],
                    ["docker", "image", "rm", "--force", launcher.image]]  # fmt: skip
    return cleanup


def digest_command(launcher: Launcher) -> list[str] | None:
    """Prints the image's repo digest (docker only; enroot/pyxis do not keep one)."""
    if launcher.kind == "docker":
        return ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", launcher.image]
    return None
