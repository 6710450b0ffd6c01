"""What paretobot ships besides code: default configs, runner recipes, the demo's example results.

They live inside the package so that a plain `pip install .` carries them (pyproject.toml's
package-data); a team points PARETOBOT_CONFIGS / PARETOBOT_RECIPES at its own folders instead.
"""

from pathlib import Path

DEFAULTS = Path(__file__).resolve().parent
CONFIGS = DEFAULTS / "configs"
RECIPES = DEFAULTS / "recipes"
EXAMPLES = DEFAULTS / "examples"
