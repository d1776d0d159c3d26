"""Run `python -m converters.hunt`: the hunt command without the other converters."""

import sys

from .command import main

sys.exit(main())
