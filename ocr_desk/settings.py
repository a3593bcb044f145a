"""User settings of the desktop client, kept as JSON in the data directory.

The API token is never stored here: it lives in the OS keyring (see ``ocr_desk.sync``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ocr_desk.core import DataDirError, JobType

__all__ = ["DATA_DIR_ENV", "SETTINGS_FILENAME", "Settings", "default_data_dir"]

DATA_DIR_ENV = "OCR_DESK_DATA_DIR"
SETTINGS_FILENAME = "settings.json"


def default_data_dir() -> Path:
    """``$OCR_DESK_DATA_DIR``, else the platform's user data folder for OCR Desk."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("ocr-desk", appauthor=False))


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a user can set; every field has a default that works offline on one laptop."""

    company_id: str = "local"
    server_url: str | None = None
    """None: the embedded local server (local mode)."""
    delete_after_ocr: bool = False
    retention_days: int | None = 90
    """None keeps every image for good."""
    watched_folder: str | None = None
    default_job_type: str = JobType.RECEIPT.value
    upload_original: bool = False
    ca_bundle: str | None = None
    sync_paused: bool = False

    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        """Read ``settings.json``; a missing file gives the defaults, a broken one an error."""
        path = data_dir / SETTINGS_FILENAME
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise DataDirError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            raise DataDirError(
                f"{path} is not valid settings ({exc}); fix it or delete it to get the defaults"
            ) from exc
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).validated()

    def validated(self) -> Settings:
        JobType(self.default_job_type)
        if self.retention_days is not None and self.retention_days < 1:
            raise ValueError("retention_days must be at least 1, or None to keep everything")
        return self

    def save(self, data_dir: Path) -> None:
        """Write atomically: a crash leaves the old or the new file, never half of one."""
        self.validated()
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / SETTINGS_FILENAME
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes).validated()
