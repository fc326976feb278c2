"""Process logging for ``serve`` and ``worker``. Log lines name ids and paths, never numbers,
bodies or speech (SPEC §12); handlers here only format what callers were careful to say."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(getattr(h, "_phoneline", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler._phoneline = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
