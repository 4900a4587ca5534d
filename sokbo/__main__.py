"""`python -m sokbo` is the `sokbo` command."""

import sys

from sokbo.cli import main

sys.exit(main())
