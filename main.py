"""Starts the KAM Console desktop app: ``python main.py [--db URL] [--no-demo-prompt]``."""

import sys

from ui.app import main

if __name__ == "__main__":
    sys.exit(main())
