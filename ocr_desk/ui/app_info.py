"""The app's identity in the window system: its icon and its About box.

Both read what packaging ships: the icon set in ``resources/icons`` (found through
:mod:`ocr_desk.bundle`, from a checkout or a PyInstaller bundle) and the version
from ``ocr_desk.__version__``, the one place it is defined.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QMessageBox, QWidget

from ocr_desk import __version__
from ocr_desk.bundle import resource_path

__all__ = ["DESKTOP_FILE_NAME", "about_text", "app_icon", "apply_identity", "show_about"]

DESKTOP_FILE_NAME = "ocr-desk"
"""The Linux .desktop entry's name (packaging/linux): Wayland shows its icon."""

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """The app icon in every rendered size; an empty icon when resources are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("icons", f"ocr-desk-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    return icon


def apply_identity(app: QGuiApplication) -> None:
    """Name, desktop entry and icon for the whole application (call once at start)."""
    app.setApplicationName("OCR Desk")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


def about_text() -> str:
    python = ".".join(str(p) for p in sys.version_info[:3])
    return (
        f"<h3>OCR Desk {__version__}</h3>"
        "<p>Capture receipts and invoices offline; they are read (OCR) as soon as the "
        "server can be reached.</p>"
        f"<p><small>Python {python}, Qt {_qt_version()}</small></p>"
    )


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return str(qVersion())


def show_about(parent: QWidget | None = None) -> QMessageBox:
    """Open the About box (window-modal, not blocking the caller); returns it."""
    box = QMessageBox(parent)
    box.setWindowTitle("About OCR Desk")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    icon = app_icon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.setAccessibleName("About OCR Desk")
    box.open()
    return box
