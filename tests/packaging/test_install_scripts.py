"""install.sh / uninstall.sh from the Linux tarball, run for real in a temp HOME.

The program is a stand-in shell script here (the real bundle's run is in
``make package-check``); what is tested is where the scripts put things, that an
upgrade replaces the program, and that the user's data is never touched.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import PACKAGING

ICON_SIZES = (16, 48, 256)


def _unpacked(tmp_path: Path, *, version: str, server: bool) -> Path:
    top = tmp_path / f"ocr-desk-{version}"
    (top / "app" / "_internal").mkdir(parents=True)
    programs = ["ocr-desk", "ocr-desk-server"] if server else ["ocr-desk"]
    for program in programs:
        path = top / "app" / program
        path.write_text(f"#!/bin/sh\necho '{program} {version}'\n", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    for name in ("install.sh", "uninstall.sh", "ocr-desk.desktop"):
        shutil.copy2(PACKAGING / "linux" / name, top / name)
    (top / "icons").mkdir()
    icons = PACKAGING.parent / "resources" / "icons"
    shutil.copy2(icons / "ocr-desk.svg", top / "icons")
    for size in ICON_SIZES:
        shutil.copy2(icons / f"ocr-desk-{size}.png", top / "icons")
    return top


def _run(script: Path, home: Path) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    done = subprocess.run(
        ["sh", str(script)], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def test_install_upgrade_uninstall_keep_the_users_data(tmp_path: Path, home: Path) -> None:
    share = home / ".local" / "share"
    data = share / "ocr-desk"  # also the app's default data folder (platformdirs)
    data.mkdir(parents=True)
    (data / "ocr_desk.sqlite3").write_bytes(b"receipts")

    out = _run(_unpacked(tmp_path / "v1", version="1.0", server=True) / "install.sh", home)
    assert "installed in" in out
    target = data / "app"
    link = home / ".local" / "bin" / "ocr-desk"
    assert link.is_symlink()
    assert os.readlink(link) == str(target / "ocr-desk")
    assert (home / ".local" / "bin" / "ocr-desk-server").is_symlink()
    assert subprocess.run([str(link)], capture_output=True, text=True).stdout == "ocr-desk 1.0\n"
    desktop = (share / "applications" / "ocr-desk.desktop").read_text(encoding="utf-8")
    assert f'Exec="{target}/ocr-desk"' in desktop
    assert "Icon=ocr-desk" in desktop
    for size in ICON_SIZES:
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "ocr-desk.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "ocr-desk.svg").is_file()

    _run(_unpacked(tmp_path / "v2", version="2.0", server=True) / "install.sh", home)
    assert subprocess.run([str(link)], capture_output=True, text=True).stdout == "ocr-desk 2.0\n"
    assert sorted(p.name for p in data.iterdir()) == ["app", "ocr_desk.sqlite3"]

    out = _run(target / "uninstall.sh", home)
    assert "kept" in out
    assert not link.exists()
    assert not link.is_symlink()
    assert not (share / "applications" / "ocr-desk.desktop").exists()
    assert not list((share / "icons").rglob("ocr-desk.*"))
    assert not target.exists()
    assert (data / "ocr_desk.sqlite3").read_bytes() == b"receipts"


def test_uninstall_leaves_a_foreign_program_of_the_same_name(tmp_path: Path, home: Path) -> None:
    _run(_unpacked(tmp_path, version="1.0", server=False) / "install.sh", home)
    bin_dir = home / ".local" / "bin"
    assert not (bin_dir / "ocr-desk-server").exists()
    other = tmp_path / "other-ocr-desk"
    other.write_text("#!/bin/sh\n", encoding="utf-8")
    (bin_dir / "ocr-desk").unlink()
    (bin_dir / "ocr-desk").symlink_to(other)
    _run(home / ".local" / "share" / "ocr-desk" / "app" / "uninstall.sh", home)
    assert os.readlink(bin_dir / "ocr-desk") == str(other)


def test_install_refuses_a_partial_unpack(tmp_path: Path, home: Path) -> None:
    top = _unpacked(tmp_path, version="1.0", server=False)
    (top / "app" / "ocr-desk").unlink()
    done = subprocess.run(
        ["sh", str(top / "install.sh")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "unpack the whole tarball" in done.stderr
    assert not (home / ".local").exists()
