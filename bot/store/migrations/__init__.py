"""Alembic's script folder for the store: `env.py` and one file per schema step in `versions/`.

paretobot runs these itself when it opens a store (bot/store/migrate.py `upgrade`); no `alembic`
command is needed by users. CONTRIBUTING.md says how to add a step.
"""
