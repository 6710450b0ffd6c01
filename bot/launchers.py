"""The ways a job's server can start (bot/runner/launch.py), in a module of their own with no
imports: `paretobot run-job --help` lists them without loading the runner."""

KINDS = ("local", "docker", "srun")
