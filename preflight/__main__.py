"""``python -m preflight``: see ``preflight.cli``; the process around it is ``preflight.console``."""

import sys

from preflight.console import main

sys.exit(main())
