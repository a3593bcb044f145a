"""What goes into the OCR Desk bundle: read by ``ocr-desk.spec`` and by the tests.

Kept apart from the spec (which only PyInstaller can execute) so that a fast test
can check every input the build relies on: the entry scripts, data files, hidden
imports and the Qt plugin allow-list. Plain Python, no PyInstaller import here.

The bundle is one folder holding two programs that share one ``_internal`` folder:

- ``ocr-desk``: the desktop app and CLI (PySide6 client half);
- ``ocr-desk-server``: the server half the app's local mode starts as a child
  process (RapidOCR, whose ONNX models ship inside its wheel, on onnxruntime).
  :func:`ocr_desk.bundle.server_command` finds it next to ``ocr-desk``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
ICONS = ROOT / "resources" / "icons"

APP_NAME = "ocr-desk"
SERVER_NAME = "ocr-desk-server"
DISPLAY_NAME = "OCR Desk"
BUNDLE_ID = "org.ocrdesk.OcrDesk"

APP_ENTRY = PACKAGING / "entry_app.py"
SERVER_ENTRY = PACKAGING / "entry_server.py"

ICON_SVG = ICONS / "ocr-desk.svg"
ICON_ICO = ICONS / "ocr-desk.ico"
ICON_PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICON_MAC_SOURCE = ICONS / "ocr-desk-512.png"
"""PyInstaller turns this PNG into the .icns on macOS (with Pillow installed)."""

SERVER_ENV = "OCR_DESK_BUNDLE_SERVER"
"""``0`` builds the desktop half alone (no local mode); default: include the server."""

# Data files: (source, folder inside the bundle). resources/ becomes
# _internal/resources, where ocr_desk.bundle.resources_dir() looks when frozen.
APP_DATAS: list[tuple[str, str]] = [(str(ROOT / "resources"), "resources")]

# Imported only inside functions or by name; listed so the analysis cannot miss them.
APP_HIDDEN_IMPORTS = [
    "ocr_desk.ui",
    "ocr_desk.cli",
    "ocr_desk.bundle",
    "keyring.backends.SecretService",
    "keyring.backends.kwallet",
    "keyring.backends.chainer",
    "keyring.backends.fail",
    "keyring.backends.null",
]
if sys.platform == "win32":
    APP_HIDDEN_IMPORTS.append("keyring.backends.Windows")
elif sys.platform == "darwin":
    APP_HIDDEN_IMPORTS.append("keyring.backends.macOS")

# The desktop program never runs server code nor these heavy optional stacks.
#
# Trap of two programs sharing _internal/: PyInstaller puts Python modules in each
# program's own archive but extension modules on disk. A package excluded from one
# program whose extensions the other program ships is then importable there as an
# empty namespace package, and `try: import x` succeeds with a useless module (it
# happened with uvloop, which anyio pulled into the desktop side). Exclude such an
# optional package from both programs, or from neither (see numpy below).
COMMON_EXCLUDES = [
    "tkinter",
    "_tkinter",
    "matplotlib",
    "IPython",
    "pytest",
    "hypothesis",
    "mypy",
    "ruff",
    "torch",
    "paddle",
    "openvino",
    "tensorrt",
    "MNN",
    "pgserver",
    "schemathesis",
    # PostgreSQL is for company servers; the bundled local server runs on SQLite.
    "psycopg",
    "psycopg_binary",
    "psycopg_c",
    # uvicorn[standard] extras the bundle does without: uvloop (13 MB, which anyio
    # would also pull into the desktop program; asyncio's loop serves one user fine)
    # and watchfiles (only for --reload).
    "uvloop",
    "watchfiles",
]
APP_EXCLUDES = [
    *COMMON_EXCLUDES,
    "ocr_desk.server",
    "fastapi",
    "starlette",
    "uvicorn",
    "rapidocr",
    "onnxruntime",
    "cv2",
    # numpy stays: sqlite-utils imports it when present. Its binaries are in the
    # shared _internal/ for the server anyway, and without its Python modules in
    # this program's archive that folder would import as an empty namespace package.
    "omegaconf",
    "shapely",
    "pyclipper",
    # Qt modules the app does not use (it imports QtCore, QtGui, QtWidgets only).
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtNetwork",
    "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets",
    "PySide6.QtPdf",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtDesigner",
    "PySide6.QtUiTools",
    "PySide6.QtHelp",
    "PySide6.QtPrintSupport",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
]
SERVER_EXCLUDES = [*COMMON_EXCLUDES, "PySide6", "shiboken6", "ocr_desk.ui"]

# Submodules whose every member must be in the server program (engine registry,
# uvicorn's protocol/loop choice by name).
SERVER_COLLECT_SUBMODULES = ["ocr_desk.server", "uvicorn"]
# rapidocr: config.yaml, default_models.yaml and the ONNX models of its wheel.
SERVER_COLLECT_DATA = ["rapidocr"]
# importlib.metadata.version() is read at run time for these.
SERVER_COPY_METADATA = ["rapidocr", "fastapi", "onnxruntime"]
SERVER_HIDDEN_IMPORTS = [
    "ocr_desk.server.cli",
    "ocr_desk.server.ocr.rapid",
    "rapidocr.inference_engine.onnxruntime",
]

# Qt plugins kept, by plugin folder and plugin stem (file name without "lib", the
# leading "q" and the suffix; "wayland" also keeps "wayland-egl" etc.). Every other
# plugin folder is dropped whole (QtWebEngine, QML tooling, sql drivers, print
# support, TLS, evdev, EGL devices, GL integrations...): the widgets app draws with
# the raster engine and decodes JPEG and WebP (thumbnails and the detail pane).
QT_PLUGINS_KEEP: dict[str, set[str]] = {
    "platforms": {"xcb", "wayland", "offscreen", "minimal", "windows", "cocoa"},
    "platformthemes": {"xdgdesktopportal"},
    "platforminputcontexts": {"compose", "ibus"},
    "imageformats": {"jpeg", "webp", "gif", "ico"},
    "styles": {"macstyle", "modernwindowsstyle"},
    "wayland-shell-integration": {"xdg-shell"},
    "wayland-decoration-client": {"bradient"},
}

# Qt libraries only the dropped plugins or unused modules pull in.
QT_LIBS_DROP = (
    "Qt6Pdf",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6Network",
    "Qt6OpenGL",
    "Qt6VirtualKeyboard",
    "Qt6Svg",
    "Qt6EglFsKmsSupport",
    "Qt6EglFSDeviceIntegration",
    "Qt6WlShellIntegration",
    "Qt6PrintSupport",
    "Qt6Sql",
    "Qt6Test",
    "Qt6WaylandEglClientHwIntegration",
)


def include_server() -> bool:
    """Bundle the server half unless ``OCR_DESK_BUNDLE_SERVER=0`` (desktop-only build)."""
    if os.environ.get(SERVER_ENV, "1") == "0":
        return False
    missing = [
        name
        for name in ("ocr_desk.server.cli", "rapidocr", "onnxruntime", "uvicorn", "fastapi")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise SystemExit(
            f"cannot bundle the local server: {', '.join(missing)} not importable. "
            f"Install the server extra (pip install -e '.[server,package]') or set "
            f"{SERVER_ENV}=0 for a desktop-only bundle."
        )
    return True


def plugin_stem(filename: str) -> str:
    """``libqxcb.so`` -> ``xcb``; ``qwindows.dll`` -> ``windows``."""
    name = filename.split(".", 1)[0]
    if name.startswith("lib"):
        name = name[3:]
    if name.startswith("q"):
        name = name[1:]
    return name


def keep_qt_file(dest: str) -> bool:
    """Whether a bundle entry (its destination path) survives the Qt trimming."""
    parts = dest.replace("\\", "/").split("/")
    if "plugins" in parts and parts[0] in ("PySide6", "shiboken6"):
        i = parts.index("plugins")
        if len(parts) < i + 3:
            return True
        folder, filename = parts[i + 1], parts[-1]
        allowed = QT_PLUGINS_KEEP.get(folder)
        if not allowed:
            return False
        stem = plugin_stem(filename)
        return any(stem == a or stem.startswith(a + "-") for a in allowed)
    if parts[0] == "PySide6" and "translations" in parts:
        return False  # the app is English only; Qt's own strings stay English
    for part in parts:
        # Linux libQt6Pdf.so.6, Windows Qt6Pdf.dll, macOS QtPdf.framework/...
        base = part[3:] if part.startswith("lib") else part
        for lib in QT_LIBS_DROP:
            if base.startswith(lib) or part.startswith(lib.replace("Qt6", "Qt") + "."):
                return False
    return True
