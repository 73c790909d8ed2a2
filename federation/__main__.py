"""Entry point of ``python -m federation``."""

from federation.cli import main

raise SystemExit(main())
