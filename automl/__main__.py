"""``python -m automl``: the same as the ``automl`` command."""

from __future__ import annotations

import sys

from automl.cli import main

if __name__ == "__main__":
    sys.exit(main())
