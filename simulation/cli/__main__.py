"""``python -m simulation.cli``: the resectsim command."""

from .app import app

app()
