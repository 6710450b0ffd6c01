"""A PEP 517 build backend for the stand-in package (pyproject.toml here): a pure-Python wheel of
the fake_* modules, written with the standard library only, so that pip can install the package
from a git commit on a machine without network, setuptools or wheel."""

import base64
import hashlib
import zipfile
from pathlib import Path

NAME, VERSION = "paretobot_fake_server", "0.1"
MODULES = ("fake_server.py", "fake_client.py", "fake_build.py")


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    here = Path(__file__).resolve().parent
    info = f"{NAME}-{VERSION}.dist-info"
    files = {name: (here / name).read_bytes() for name in MODULES}
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: paretobot-fake-server\nVersion: {VERSION}\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: fake_backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel
