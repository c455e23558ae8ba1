"""``python -m marketplace_sim.cli``: the same as the ``marketplace-sim`` command."""

import sys

from marketplace_sim.cli import main

sys.exit(main())
