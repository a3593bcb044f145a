"""The app icon and the About box show what packaging ships: the icon set and the version."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ocr_desk import __version__
from ocr_desk.ui.app_info import about_text, app_icon, apply_identity, show_about


def test_the_icon_has_every_rendered_size(qapp: QApplication) -> None:
    icon = app_icon()
    sizes = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(16, 16), (48, 48), (256, 256)} <= sizes


def test_identity_sets_version_and_icon(qapp: QApplication) -> None:
    before = (qapp.applicationName(), qapp.applicationVersion(), qapp.desktopFileName())
    icon = qapp.windowIcon()
    try:
        apply_identity(qapp)
        assert qapp.applicationVersion() == __version__
        assert qapp.desktopFileName() == "ocr-desk"
        assert not qapp.windowIcon().isNull()
    finally:  # the QApplication is shared by every GUI test
        qapp.setApplicationName(before[0])
        qapp.setApplicationVersion(before[1])
        qapp.setDesktopFileName(before[2])
        qapp.setWindowIcon(icon)


def test_about_box_shows_the_version(qtbot) -> None:  # type: ignore[no-untyped-def]
    box = show_about(None)
    qtbot.addWidget(box)
    assert f"OCR Desk {__version__}" in box.text()
    assert about_text() == box.text()
    assert box.isVisible()
    box.close()
