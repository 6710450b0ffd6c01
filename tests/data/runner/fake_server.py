"""A stand-in inference server for the runner's process tests (not vLLM): /health and /generate.

Behaviour comes from the environment, so one recipe covers every failure the runner classifies:
FAKE_PIDS (file: append this pid and its child's), FAKE_CHILD=1 (spawn a child that ignores
SIGTERM, like an engine process that will not stop), FAKE_IGNORE_TERM=1, FAKE_EXIT_EARLY=TEXT
(print TEXT, exit 1 before serving), FAKE_NEVER_HEALTHY=1 (/health answers 503),
FAKE_CRASH_AT=C (exit when a client at concurrency C calls /generate), FAKE_OOM_AT=C (log a CUDA
out-of-memory error and answer 500 at concurrency C, serving on), FAKE_STARTUP_S.
A flag in fake_build.REFUSED_FLAGS makes it exit before serving (a commit that breaks a
configuration). Installable with pyproject.toml here.
"""

import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import fake_build

if "--version" in sys.argv:
    print("fake server starting up")
    print("1.2.3.dev4+g0123abcd")
    sys.exit(0)

refused = [flag for flag in fake_build.REFUSED_FLAGS if flag in sys.argv]
if refused:
    print(f"ValueError: unsupported option {refused[0]}", flush=True)
    sys.exit(2)
port = int(sys.argv[sys.argv.index("--port") + 1])
env = os.environ.get
print(f"fake server pid {os.getpid()} on port {port}", flush=True)
if env("FAKE_IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = None
if env("FAKE_CHILD"):
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)",
        ]
    )
if env("FAKE_PIDS"):
    with open(env("FAKE_PIDS"), "a") as f:
        f.write(f"{os.getpid()}\n" + (f"{child.pid}\n" if child else ""))
time.sleep(float(env("FAKE_STARTUP_S", "0")))
if env("FAKE_EXIT_EARLY"):
    print("Traceback (most recent call last):", flush=True)
    print(env("FAKE_EXIT_EARLY"), flush=True)
    sys.exit(1)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/health":
            self.send_response(503 if env("FAKE_NEVER_HEALTHY") else 200)
            self.end_headers()
            return
        if url.path == "/generate":
            conc = parse_qs(url.query).get("c", ["0"])[0]
            if conc == env("FAKE_CRASH_AT"):
                print(
                    f"ERROR engine: RuntimeError: fake engine died at concurrency {conc}",
                    flush=True,
                )
                os._exit(1)
            if conc == env("FAKE_OOM_AT"):  # fails the request, lives on (transformers serve)
                print("ERROR - Error in generation loop: torch.OutOfMemoryError: CUDA out of "
                      "memory. Tried to allocate 2.00 GiB", flush=True)  # fmt: skip
                self.send_response(500)
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, fmt, *args):
        print("request:", fmt % args, flush=True)


ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
