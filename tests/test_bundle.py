"""ocr_desk.bundle: the server's command line and the resources folder, from source and frozen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ocr_desk import __version__, bundle
from ocr_desk.services.local_server import LocalServer, LocalServerError


def test_from_source_the_server_runs_in_this_interpreter() -> None:
    command = bundle.server_command("--version")
    assert command[:2] == [sys.executable, "-c"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == f"ocr-desk-server {__version__}"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Look like a PyInstaller one-folder bundle in tmp_path (sys.frozen, _MEIPASS)."""
    folder = tmp_path / "ocr-desk"
    (folder / "_internal").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(folder / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(folder / "ocr-desk"))
    return folder


def test_frozen_the_server_is_the_program_beside_the_app(frozen: Path) -> None:
    name = "ocr-desk-server.exe" if sys.platform == "win32" else "ocr-desk-server"
    (frozen / name).write_bytes(b"")
    assert bundle.is_frozen()
    assert bundle.server_command("serve", "--port", "1") == [
        str((frozen / name).resolve()),
        "serve",
        "--port",
        "1",
    ]
    assert bundle.resources_dir() == frozen / "_internal" / "resources"


def test_frozen_without_the_server_says_what_to_do(frozen: Path, tmp_path: Path) -> None:
    with pytest.raises(bundle.ServerNotBundledError, match="set a company server in Settings"):
        bundle.server_command("serve")
    # the local mode turns it into its own error, which the GUI shows
    with pytest.raises(LocalServerError, match="has no local server"):
        LocalServer(data_dir=tmp_path / "srv")._command("init")


def test_local_mode_starts_the_server_through_server_command(tmp_path: Path) -> None:
    server = LocalServer(data_dir=tmp_path / "srv")
    assert server._command("init") == bundle.server_command(
        "--data-dir", str(tmp_path / "srv"), "init"
    )


def test_resources_hold_the_app_icon() -> None:
    assert not bundle.is_frozen()
    svg = bundle.resource_path("icons", "ocr-desk.svg")
    assert svg.is_file()
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
