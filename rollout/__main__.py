"""``python -m rollout``: see ``rollout.cli``."""

import sys

from rollout.cli import main

try:
    code = main()
except KeyboardInterrupt:
    print("error: interrupted; sites already started run to their end in the Pulumi CLI", file=sys.stderr)
    code = 130
sys.exit(code)
