"""Dresden urban twin: `python main.py` opens the desktop app; `python main.py --help` lists the commands."""

import sys

from twin.cli import main

if __name__ == "__main__":
    sys.exit(main())
