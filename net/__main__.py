"""``python -m net`` is the ``swb`` command line."""

import sys

from net.cli import main

sys.exit(main())
