"""`paretobot --help` stays fast: building the parser and printing any subcommand's help imports
none of the heavy libraries (each command imports what it needs when it runs)."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import pytest

from bot import cli

# Each of these (with what it pulls in) costs tens to hundreds of milliseconds to import.
HEAVY = {
    "sqlalchemy",
    "scipy",
    "numpy",
    "pandas",
    "pyarrow",  # the parquet extra (`export --format parquet`)
    "matplotlib",
    "github",  # PyGithub
    "requests",
    "urllib3",
    "cryptography",
    "nacl",
    "jwt",
    "pydantic",
    "pydantic_core",
    "yaml",
    "jinja2",
    "jsonschema",
    "rich",
    "pygments",
    "markdown_it",
    "apprise",  # bot/notify.py sends through it; only `notify --test` may load it
    "markdown",  # apprise's Markdown to HTML
}

# In a fresh interpreter: build the parser, ask every command (nested ones too) for its help
# through the real entry point, then list the top-level packages that were imported.
PROBE = """
import argparse, contextlib, io, json, sys
from bot import cli

def commands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from commands(sub, (*prefix, name))

argvs = [["--help"], ["--version"]] + [[*c, "--help"] for c in commands(cli._parser())]
for argv in argvs:
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main(argv)
        except SystemExit as exc:
            assert exc.code == 0, (argv, exc.code)
print(json.dumps({"asked": len(argvs), "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def subcommands(parser: argparse.ArgumentParser) -> list[str]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def test_help_imports_no_heavy_library():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    probe = json.loads(done.stdout)
    assert probe["asked"] > len(subcommands(cli._parser())) + 2  # nested commands were asked too
    assert sorted(HEAVY & set(probe["modules"])) == []


def test_help_lists_every_subcommand(capsys):
    names = subcommands(cli._parser())
    assert {"ingest", "compare", "watch", "run-job", "config", "demo"} <= set(names)
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    (listed,) = re.findall(r"^  \{([^}]*)\}", text, re.MULTILINE)
    assert listed.split(",") == names
    for name in names:
        assert re.search(rf"^    {re.escape(name)}(\s|$)", text, re.MULTILINE), name
