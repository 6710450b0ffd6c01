"""`python -m bot.cli`: the same as the `paretobot` command."""

import sys

from bot.cli import main

sys.exit(main())
