"""The watched folder (a scanner's output folder): every new file is captured once.

A small ledger in the data dir remembers each file handed to capture (name, size and
modification time), so a rescan, a restart or a file touched again never captures
it twice. Files still being written (modified in the last moments) wait for the
next scan. No Qt here; the GUI calls :meth:`WatchedFolder.new_files` from a worker.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

__all__ = ["LEDGER_FILENAME", "SETTLE_SECONDS", "WatchedFolder"]

LEDGER_FILENAME = "watched-folder.json"
SETTLE_SECONDS = 1.0
"""A file modified more recently than this may still be growing: it waits."""

_LOCK = threading.Lock()


class WatchedFolder:
    def __init__(self, *, folder: Path, state_dir: Path) -> None:
        self.folder = folder
        self.ledger = state_dir / LEDGER_FILENAME

    def _load(self) -> dict[str, dict[str, list[int]]]:
        try:
            data = json.loads(self.ledger.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict[str, list[int]]]) -> None:
        self.ledger.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ledger.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, self.ledger)

    def new_files(self, *, now: float | None = None) -> tuple[list[Path], bool]:
        """Files not captured before, and whether some are still settling (scan again)."""
        moment = time.time() if now is None else now
        with _LOCK:
            data = self._load()
            seen = data.setdefault(str(self.folder), {})
            fresh: list[Path] = []
            settling = False
            try:
                entries = sorted(os.scandir(self.folder), key=lambda e: e.name)
            except OSError:
                return [], False
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith((".tmp", ".part", "~")):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                if moment - st.st_mtime < SETTLE_SECONDS:
                    settling = True
                    continue
                stamp = [st.st_size, st.st_mtime_ns]
                if entry.name in seen:
                    continue
                seen[entry.name] = stamp
                fresh.append(Path(entry.path))
            if fresh:
                self._save(data)
            return fresh, settling
