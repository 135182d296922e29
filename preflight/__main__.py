"""``python -m preflight``: see ``preflight.cli``."""

import os
import sys

from preflight.cli import main
from preflight.signals import install

install()  # SIGTERM and SIGHUP: see preflight.signals
try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # The reader went away (`... | head`): stop quietly, as command-line tools do.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    code = 130
sys.exit(code)
