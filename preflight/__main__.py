"""``python -m preflight``: see ``preflight.cli``."""

import sys

from preflight.cli import main

sys.exit(main())
