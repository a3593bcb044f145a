"""``python -m ocr_desk.server.cli``: the same as ``ocr-desk-server``."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
