"""`python -m kam_console` runs the `kam` command line."""

import sys

from kam_console.cli import main

sys.exit(main())
