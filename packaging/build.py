"""Build the OCR Desk bundle with PyInstaller and, on Linux, the installable tarball.

    python packaging/build.py            # dist/ocr-desk/ (+ dist/ocr-desk-<v>-linux-<arch>.tar.gz)
    python packaging/build.py --check    # then prove it runs without Python (packaging/check.py)

Prints the build time and the bundle's size (folder, biggest parts, tarball) and
writes them to dist/build-report.json. ``OCR_DESK_BUNDLE_SERVER=0`` leaves the
server half (the local mode) out. Needs the ``package`` extra installed:
``pip install -e '.[server,package]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_config as cfg  # noqa: E402

DIST = cfg.ROOT / "dist"
WORK = cfg.ROOT / "build" / "pyinstaller"
SPEC = cfg.PACKAGING / "ocr-desk.spec"
LINUX = cfg.PACKAGING / "linux"


def version() -> str:
    """``ocr_desk.__version__``, read from the source without importing the package."""
    for line in (cfg.ROOT / "ocr_desk" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise SystemExit("ocr_desk/__init__.py has no __version__")


def folder_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``, symlinks not followed."""
    total = files = 0
    for item in path.rglob("*"):
        if item.is_file() and not item.is_symlink():
            total += item.stat().st_size
            files += 1
    return total, files


def biggest_parts(bundle: Path, count: int = 8) -> list[tuple[str, int]]:
    """Sizes of the top-level entries of ``_internal`` (packages, libraries), largest first."""
    internal = bundle / "_internal"
    sizes = []
    for item in internal.iterdir() if internal.is_dir() else []:
        if item.is_symlink():
            continue  # PyInstaller links libraries to the top level; count them once
        size = folder_size(item)[0] if item.is_dir() else item.stat().st_size
        sizes.append((item.name, size))
    return sorted(sizes, key=lambda s: -s[1])[:count]


def unresolved_libraries(bundle: Path) -> dict[str, list[str]]:
    """Linux: shared libraries that bundle files need and neither the bundle nor this
    machine has (``ldd``: not found), each with the files that need it.

    PyInstaller bundles what it finds on the build machine; a library missing here
    (e.g. libxcb-icccm4 for the xcb platform) is missing from the bundle too, and the
    user's machine must then provide it. packaging/README.md lists the build packages.
    """
    if not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return {}
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    missing: dict[str, list[str]] = {}
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            if "=> not found" in line:
                lib = line.split("=>", 1)[0].strip()
                users = missing.setdefault(lib, [])
                if str(path.relative_to(bundle)) not in users:
                    users.append(str(path.relative_to(bundle)))
    return missing


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def run_pyinstaller(*, clean: bool) -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level=WARN",
        f"--distpath={DIST}",
        f"--workpath={WORK}",
        str(SPEC),
    ]
    if clean:
        command.insert(3, "--clean")
    print("$", " ".join(command), flush=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(command, check=True, cwd=cfg.ROOT, env=env)


def make_tarball(bundle: Path, ver: str) -> Path:
    """``ocr-desk-<v>-linux-<arch>.tar.gz``: app/, install.sh, uninstall.sh, .desktop, icons/."""
    stem = f"ocr-desk-{ver}-linux-{platform.machine()}"
    tarball = DIST / f"{stem}.tar.gz"
    tmp = tarball.with_suffix(".tmp")

    def add(tar: tarfile.TarFile, source: Path, name: str) -> None:
        tar.add(source, arcname=f"{stem}/{name}")

    with tarfile.open(tmp, "w:gz", compresslevel=6) as tar:
        add(tar, bundle, "app")
        for script in ("install.sh", "uninstall.sh"):
            add(tar, LINUX / script, script)
        add(tar, LINUX / "ocr-desk.desktop", "ocr-desk.desktop")
        add(tar, cfg.ICON_SVG, "icons/ocr-desk.svg")
        for size in cfg.ICON_PNG_SIZES:
            add(tar, cfg.ICONS / f"ocr-desk-{size}.png", f"icons/ocr-desk-{size}.png")
        add(tar, cfg.PACKAGING / "INSTALL.txt", "README.txt")
    os.replace(tmp, tarball)
    return tarball


def build(*, clean: bool, reuse: bool = False) -> dict[str, object]:
    ver = version()
    bundle = DIST / cfg.APP_NAME
    with_server = (bundle / cfg.SERVER_NAME).exists() if reuse else cfg.include_server()
    started = time.perf_counter()
    if reuse:
        if not bundle.is_dir():
            raise SystemExit(f"--reuse: no {bundle} to reuse; build without --reuse first")
    else:
        if bundle.exists():
            shutil.rmtree(bundle)
        run_pyinstaller(clean=clean)
    build_s = time.perf_counter() - started
    size, files = folder_size(bundle)
    report: dict[str, object] = {
        "version": ver,
        "platform": f"{sys.platform}-{platform.machine()}",
        "with_server": with_server,
        "build_seconds": round(build_s, 1),
        "bundle": str(bundle),
        "bundle_bytes": size,
        "bundle_files": files,
        "biggest": biggest_parts(bundle),
    }
    print(f"\nOCR Desk {ver} bundle: {bundle}")
    print(f"  server half (local mode): {'included' if with_server else 'left out'}")
    if reuse:
        print("  build time:  (reused the last PyInstaller output)")
    else:
        print(f"  build time:  {build_s:.0f} s (PyInstaller{' --clean' if clean else ''})")
    print(f"  bundle size: {mb(size)} in {files} files")
    for name, part in report["biggest"]:  # type: ignore[attr-defined]
        print(f"    {mb(part):>9}  {name}")
    missing = unresolved_libraries(bundle)
    report["unresolved_libraries"] = missing
    for lib, needed_by in sorted(missing.items()):
        print(f"  WARNING: {lib} is not on this machine, so not in the bundle; needed by")
        print(f"           {', '.join(needed_by[:3])}{' ...' if len(needed_by) > 3 else ''}")
    if sys.platform.startswith("linux"):
        started = time.perf_counter()
        tarball = make_tarball(bundle, ver)
        report["tarball"] = str(tarball)
        report["tarball_bytes"] = tarball.stat().st_size
        report["tarball_seconds"] = round(time.perf_counter() - started, 1)
        print(f"  tarball:     {tarball.name}, {mb(tarball.stat().st_size)}")
    (DIST / "build-report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument(
        "--check", action="store_true", help="then run the built app headless (check.py)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="skip PyInstaller: remake the tarball and report from the last dist/ocr-desk",
    )
    args = parser.parse_args(argv)
    build(clean=args.clean, reuse=args.reuse)
    if args.check:
        import check

        return check.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
