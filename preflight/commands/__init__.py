"""The commands of ``python -m preflight`` that outgrew ``cli.py``, one module per command."""
