"""Entry point for `python -m lib`."""

from lib.cli import main

raise SystemExit(main())
