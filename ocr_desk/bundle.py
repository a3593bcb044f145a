"""Where the running app lives: a source checkout, an installed wheel or a PyInstaller bundle.

The desktop app starts the server half as a child process (local mode) and shows
icons from ``resources/``. Both depend on how the app was started, so the answers
live here, in one place, instead of being guessed by each caller:

- :func:`server_command` is the command line that runs ``ocr-desk-server``. From
  source it is this interpreter (``sys.executable -c ...``); in a PyInstaller bundle
  ``sys.executable`` is the ``ocr-desk`` program itself, which cannot run ``-c``, so
  it is the second program the bundle ships beside it (``ocr-desk-server``).
- :func:`resources_dir` is ``resources/`` of the checkout, or the copy the bundle
  carries in its ``_internal`` folder.

No Qt and nothing of the rest of the package: any layer may import this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = [
    "SERVER_EXECUTABLE",
    "SERVER_LAUNCH",
    "ServerNotBundledError",
    "bundle_dir",
    "is_frozen",
    "resource_path",
    "resources_dir",
    "server_command",
]

SERVER_LAUNCH = "import sys; from ocr_desk.server.cli import main; sys.exit(main())"
"""What ``python -c`` runs to start the server CLI from source (no console script needed)."""

SERVER_EXECUTABLE = "ocr-desk-server"
"""The server program's name inside a bundle (``.exe`` added on Windows)."""


class ServerNotBundledError(RuntimeError):
    """This bundle was built without the server half (no ``ocr-desk-server`` beside it)."""


def is_frozen() -> bool:
    """True when running from a PyInstaller bundle (one-folder or macOS .app)."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def bundle_dir() -> Path:
    """The folder that holds the bundle's programs (``sys.executable``'s folder).

    Only meaningful when :func:`is_frozen`; from source it is the interpreter's folder.
    """
    return Path(sys.executable).resolve().parent


def server_command(*args: str) -> list[str]:
    """The argv that runs ``ocr-desk-server ARGS...`` the way this app was started.

    From source or a wheel: ``[sys.executable, "-c", SERVER_LAUNCH, *args]``, so the
    server runs in the same interpreter and virtualenv as the app. Frozen: the
    ``ocr-desk-server`` program next to ``ocr-desk`` in the bundle. Raises
    :class:`ServerNotBundledError` when a bundle was built without it.
    """
    if not is_frozen():
        return [sys.executable, "-c", SERVER_LAUNCH, *args]
    name = SERVER_EXECUTABLE + (".exe" if os.name == "nt" else "")
    program = bundle_dir() / name
    if not program.is_file():
        raise ServerNotBundledError(
            f"this OCR Desk bundle has no local server ({program} is missing); "
            "set a company server in Settings, or install the full bundle"
        )
    return [str(program), *args]


def resources_dir() -> Path:
    """``resources/`` (icons, style sheet, samples): the bundle's copy when frozen."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS")) / "resources"  # noqa: B009 (not in typeshed)
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A file under :func:`resources_dir`, e.g. ``resource_path("icons", "ocr-desk.svg")``."""
    return resources_dir().joinpath(*parts)
