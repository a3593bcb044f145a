"""Everything the PyInstaller spec relies on exists, without running PyInstaller.

The real build (minutes) is ``make package-check``; these checks catch a renamed
module, a missing icon or a Qt plugin trimmed too far in a second.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path
from types import ModuleType

from PIL import Image

from ocr_desk import __version__

from .conftest import PACKAGING, load

ROOT = PACKAGING.parent


def test_spec_uses_only_names_the_config_defines(cfg: ModuleType) -> None:
    spec = (PACKAGING / "ocr-desk.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    used = set(re.findall(r"\bcfg\.([A-Za-z_]+)", spec))
    assert {"APP_ENTRY", "SERVER_ENTRY", "APP_EXCLUDES", "keep_qt_file"} <= used
    assert [name for name in used if not hasattr(cfg, name)] == []


def test_entry_scripts_run_the_two_commands(cfg: ModuleType) -> None:
    app = ast.parse(cfg.APP_ENTRY.read_text(encoding="utf-8"))
    server = ast.parse(cfg.SERVER_ENTRY.read_text(encoding="utf-8"))
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    scripts = pyproject["project"]["scripts"]
    for tree, script in ((app, cfg.APP_NAME), (server, cfg.SERVER_NAME)):
        module, _, func = scripts[script].partition(":")
        imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        assert any(n.module == module and n.names[0].name == func for n in imports), script


def test_hidden_imports_and_collected_packages_exist(cfg: ModuleType) -> None:
    names = [
        *cfg.APP_HIDDEN_IMPORTS,
        *cfg.SERVER_HIDDEN_IMPORTS,
        *cfg.SERVER_COLLECT_SUBMODULES,
        *cfg.SERVER_COLLECT_DATA,
    ]
    assert [n for n in names if importlib.util.find_spec(n) is None] == []
    for dist in cfg.SERVER_COPY_METADATA:
        assert metadata.version(dist)


def test_rapidocr_ships_its_models_as_package_data(cfg: ModuleType) -> None:
    spec = importlib.util.find_spec("rapidocr")
    assert spec is not None
    assert spec.origin is not None
    package = Path(spec.origin).parent
    models = sorted(p.name for p in package.rglob("*.onnx"))
    assert len(models) >= 3, models  # detection, classification, recognition
    assert (package / "config.yaml").is_file()


def test_data_files_and_the_icon_set(cfg: ModuleType) -> None:
    for source, _ in cfg.APP_DATAS:
        assert Path(source).exists(), source
    svg = ET.parse(cfg.ICON_SVG).getroot()
    assert svg.tag.endswith("svg")
    assert svg.get("viewBox") == "0 0 256 256"
    for size in cfg.ICON_PNG_SIZES:
        with Image.open(cfg.ICONS / f"ocr-desk-{size}.png") as png:
            assert png.size == (size, size)
            assert png.mode == "RGBA"
    with Image.open(cfg.ICON_ICO) as ico:
        assert (256, 256) in ico.info["sizes"]
        assert (16, 16) in ico.info["sizes"]
    assert cfg.ICON_MAC_SOURCE.is_file()


def _modules_after(*imports: str) -> set[str]:
    code = "; ".join(f"import {m}" for m in imports) + "; import sys; print(' '.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_the_desktop_program_needs_nothing_the_spec_excludes(cfg: ModuleType) -> None:
    loaded = _modules_after(
        "ocr_desk.cli", "ocr_desk.ui", "ocr_desk.ui.main_window", "ocr_desk.ui.backend"
    )
    assert "PySide6.QtWidgets" in loaded
    assert sorted(m for m in cfg.APP_EXCLUDES if m in loaded) == []


def test_the_server_program_loads_no_qt(cfg: ModuleType) -> None:
    loaded = _modules_after("ocr_desk.server.cli", "ocr_desk.server.api.app", "rapidocr")
    assert "fastapi" in loaded
    assert sorted(m for m in cfg.SERVER_EXCLUDES if m in loaded) == []


def test_qt_trimming_keeps_the_platforms_and_formats_the_app_uses(cfg: ModuleType) -> None:
    keep = cfg.keep_qt_file
    plugins = "PySide6/Qt/plugins"
    for kept in (
        "platforms/libqxcb.so",
        "platforms/libqoffscreen.so",
        "platforms/libqwayland.so",
        "platforms/qwindows.dll",
        "platforms/libqcocoa.dylib",
        "imageformats/libqjpeg.so",
        "imageformats/libqwebp.so",
        "wayland-shell-integration/libxdg-shell.so",
    ):
        assert keep(f"{plugins}/{kept}"), kept
    for dropped in (
        "platforms/libqeglfs.so",
        "platforms/libqvnc.so",
        "imageformats/libqpdf.so",
        "imageformats/libqsvg.so",
        "qmltooling/libqmldbg_debugger.so",
        "sqldrivers/libqsqlite.so",
        "tls/libqopensslbackend.so",
        "platformthemes/libqgtk3.so",
    ):
        assert not keep(f"{plugins}/{dropped}"), dropped
    assert not keep("PySide6/Qt/lib/libQt6Pdf.so.6")
    assert not keep("PySide6/Qt/lib/libQt6QuickWidgets.so.6")
    assert not keep("PySide6/Qt/translations/qtbase_de.qm")
    for lib in ("Core", "Gui", "Widgets", "DBus", "XcbQpa", "WaylandClient"):
        assert keep(f"PySide6/Qt/lib/libQt6{lib}.so.6"), lib
    assert keep("PySide6/QtWidgets.abi3.so")


def _needed(path: Path) -> list[str]:
    dump = subprocess.run(
        ["objdump", "-p", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", dump, re.MULTILINE)


def test_kept_qt_plugins_link_no_dropped_library(cfg: ModuleType) -> None:
    """A plugin the trimming keeps must not need a Qt library the trimming drops."""
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None
    assert spec.origin is not None
    qt = Path(spec.origin).parent / "Qt"
    kept = [
        p
        for p in (qt / "plugins").rglob("*.so")
        if cfg.keep_qt_file(p.relative_to(qt.parent.parent).as_posix())
    ]
    assert any(p.name == "libqxcb.so" for p in kept)
    assert any(p.name == "libqwebp.so" for p in kept)
    broken = {
        p.name: [lib for lib in _needed(p) if not cfg.keep_qt_file(f"PySide6/Qt/lib/{lib}")]
        for p in kept
    }
    assert {name: libs for name, libs in broken.items() if libs} == {}


def test_version_has_one_source() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    dynamic = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "ocr_desk.__version__"}
    assert load("build").version() == __version__
    extra = pyproject["project"]["optional-dependencies"]["package"]
    assert any(req.lower().startswith("pyinstaller") for req in extra)


def test_desktop_entry_launches_the_program_with_its_icon(cfg: ModuleType) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / "ocr-desk.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Version"] in ("1.0", "1.1")  # versions desktop-file-validate knows
    assert section["Name"] == cfg.DISPLAY_NAME
    assert section["Exec"].split()[0] == cfg.APP_NAME
    assert section["Icon"] == cfg.ICON_SVG.stem
    assert section["Terminal"] == "false"
    assert section["Categories"].endswith(";")
