"""``python -m policywatch`` runs the command line."""

from policywatch.cli import run

run()
