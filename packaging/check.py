"""Prove a built Linux bundle runs on a machine without Python: ``make package-check``.

Unpacks the tarball into a temp folder outside the checkout and runs the programs
in it with an empty environment (``env -i PATH=/usr/bin:/bin``). As root with
``unshare`` it also hides every Python on this machine (the build interpreter, the
virtualenv, the checkout, /usr/lib/python3*) behind empty tmpfs mounts in a private
mount namespace, and first proves that no ``python3`` works in there. Then:

1. ``ocr-desk --version`` and ``ocr-desk status --json`` on a temp data dir;
2. the GUI, headless (Qt offscreen; and xcb under Xvfb when present), until its local
   mode has started the bundled server as a child process and that server answers;
   offscreen, a receipt dropped in its watched folder comes back OCR-ed (merchant);
3. ``ocr-desk-server``: init, company, user, ``serve`` on a free loopback port, and one
   generated receipt uploaded and OCR-ed through the API;
4. ``install.sh`` into a temp HOME, the ``~/.local/bin/ocr-desk`` symlink, ``uninstall.sh``.

This driver itself runs in the build virtualenv (httpx, Pillow); only the programs
under test run isolated. Prints each step's time; exits 1 on the first failure.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_config as cfg  # noqa: E402

DIST = cfg.ROOT / "dist"


class CheckFailed(Exception):
    """A step of the check did not give what the bundle promises."""


class Isolated:
    """Runs bundle programs with no environment and, when possible, no Python visible."""

    def __init__(self, home: Path, *, rootfs: Path | None = None) -> None:
        self.home = home
        self.rootfs = rootfs
        """A minimal Linux root (debootstrap --variant=minbase): run in a chroot there."""
        if rootfs is not None and not self._can_unshare():
            raise SystemExit("--rootfs needs root and unshare (for /proc, /dev, /sys mounts)")
        self.hidden = [] if rootfs else self._hidden_dirs() if self._can_unshare() else []

    def inside(self, path: Path | str) -> str:
        """``path`` as the programs see it (without the rootfs prefix in chroot mode)."""
        text = str(path)
        if self.rootfs is not None and text.startswith(str(self.rootfs) + "/"):
            return text[len(str(self.rootfs)) :]
        return text

    @staticmethod
    def _can_unshare() -> bool:
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            return False
        probe = ["unshare", "--mount", "--propagation", "private", "true"]
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0

    @staticmethod
    def _hidden_dirs() -> list[str]:
        candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(cfg.ROOT)}
        candidates.update(glob.glob("/usr/lib/python3*") + glob.glob("/usr/local/lib/python3*"))
        pyenv = Path.home() / ".pyenv"
        if pyenv.is_dir():
            candidates.add(str(pyenv))
        dirs = sorted(c for c in candidates if Path(c).is_dir())
        # a tmpfs over a folder hides its subfolders too (and they cannot be mounted on)
        return [d for d in dirs if not any(Path(d).is_relative_to(o) and d != o for o in dirs)]

    def argv(self, command: Sequence[str], env: dict[str, str] | None = None) -> list[str]:
        base_env = {
            "PATH": "/usr/bin:/bin",
            "HOME": self.inside(self.home),
            "LANG": "C.UTF-8",
            **(env or {}),
        }
        env_args = ["env", "-i", *(f"{k}={v}" for k, v in base_env.items())]
        if self.rootfs is not None:
            root = shlex.quote(str(self.rootfs))
            script = (
                f"mount -t proc proc {root}/proc && mount --rbind /dev {root}/dev && "
                f'mount --rbind /sys {root}/sys && exec chroot {root} "$@"'
            )
            inner = [*env_args, *(self.inside(arg) for arg in command)]
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + [
                *inner
            ]
        if not self.hidden:
            return [*env_args, *command]
        mounts = " && ".join(f"mount -t tmpfs none {shlex.quote(d)}" for d in self.hidden)
        script = f'{mounts} && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"] + [
            *env_args,
            *command,
        ]

    def run(
        self, command: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120
    ) -> str:
        done = subprocess.run(
            self.argv(command, env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise CheckFailed(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    def popen(
        self, command: Sequence[str], *, log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                self.argv(command, env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop the children with it
            )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (the GUI's server child too), SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for(what: str, ready: Callable[[], bool], *, timeout: float, alive: Callable[[], bool]):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    delay = 0.1
    while time.monotonic() < deadline:
        if ready():
            return
        if not alive():
            raise CheckFailed(f"the process stopped before {what}")
        time.sleep(delay)  # polling another process; nothing to wait on
        delay = min(delay * 1.5, 1.0)
    raise CheckFailed(f"no {what} within {timeout:.0f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200
    except httpx.TransportError:
        return False


def receipt_png(path: Path) -> Path:
    """A plain receipt drawn with Pillow: merchant, two items, a total."""
    from PIL import Image, ImageDraw, ImageFont

    def face(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
            if Path(folder, "DejaVuSans.ttf").exists():
                return ImageFont.truetype(f"{folder}/DejaVuSans.ttf", size)
        return ImageFont.load_default(size=size)

    rows = [
        ("CORNER BAKERY", ""),
        ("12 Market Street", ""),
        ("Date: 2026-03-14", ""),
        ("Sourdough loaf", "4.50"),
        ("Coffee", "3.20"),
        ("TOTAL", "7.70"),
        ("Thank you!", ""),
    ]
    image = Image.new("RGB", (600, 60 * len(rows) + 80), "white")
    draw = ImageDraw.Draw(image)
    font = face(30)
    for i, (left, right) in enumerate(rows):
        y = 40 + 60 * i
        draw.text((40, y), left, fill="black", font=font)
        if right:
            draw.text((560 - draw.textlength(right, font=font), y), right, fill="black", font=font)
    image.save(path)
    return path


class Check:
    def __init__(
        self, tarball: Path, work: Path, *, xvfb: bool, rootfs: Path | None = None
    ) -> None:
        self.tarball = tarball
        self.work = work
        self.xvfb = xvfb and rootfs is None
        self.home = work / "home"
        self.home.mkdir()
        self.iso = Isolated(self.home, rootfs=rootfs)
        self.app_dir = self._unpack()
        self.app = str(self.app_dir / "app" / cfg.APP_NAME)
        self.server = str(self.app_dir / "app" / cfg.SERVER_NAME)
        self.times: list[tuple[str, float]] = []

    def _unpack(self) -> Path:
        with tarfile.open(self.tarball) as tar:
            tar.extractall(self.work / "unpacked", filter="tar")
        (top,) = (self.work / "unpacked").iterdir()
        return top

    def step(self, name: str, action: Callable[[], str]) -> None:
        started = time.perf_counter()
        detail = action()
        took = time.perf_counter() - started
        self.times.append((name, took))
        print(f"  ok  {took:6.1f} s  {name}: {detail}", flush=True)

    def no_python(self) -> str:
        if self.iso.rootfs is not None:
            probe = "for p in python3 python; do command -v $p && exit 1; done; exit 0"
            self.iso.run(["sh", "-c", probe])
            return f"chroot into {self.iso.rootfs}: no python3 or python there at all"
        if not self.iso.hidden:
            return "not root or no unshare: ran with env -i only, Python dirs still on disk"
        probe = (
            "for p in python3 python; do command -v $p >/dev/null && "
            '$p -c "import encodings" 2>/dev/null && { echo "$p works"; exit 1; }; done; exit 0'
        )
        self.iso.run(["sh", "-c", probe])
        return "no working python3 inside; hidden: " + ", ".join(self.iso.hidden)

    def version(self) -> str:
        from_source = cfg.ROOT / "ocr_desk" / "__init__.py"
        text = self.iso.run([self.app, "--version"]).strip()
        expected = next(
            line.split("=", 1)[1].strip().strip("\"'")
            for line in from_source.read_text(encoding="utf-8").splitlines()
            if line.startswith("__version__")
        )
        if text != f"ocr-desk {expected}":
            raise CheckFailed(f"--version printed {text!r}, expected 'ocr-desk {expected}'")
        return text

    def status(self) -> str:
        data_dir = self.work / "data-cli"
        out = self.iso.run([self.app, "--data-dir", str(data_dir), "status", "--json"])
        status = json.loads(out)
        if not isinstance(status, dict) or not (data_dir / "ocr-desk.sqlite3").exists():
            raise CheckFailed(f"status --json gave {out!r} and no database in {data_dir}")
        return json.dumps(status, sort_keys=True)[:120]

    def gui(self, platform: str, *, capture: bool) -> str:
        """Start the GUI headless; pass when its local server child answers on /healthz.

        With ``capture``, the data dir's settings name a watched folder; a receipt
        dropped there once the server is up must come back from the local server's
        OCR as a completed job with its merchant (read with the bundled CLI).
        """
        data_dir = self.work / f"data-gui-{platform}"
        inbox = self.work / f"inbox-{platform}"
        if capture:
            inbox.mkdir()
            data_dir.mkdir()
            settings = {"watched_folder": self.iso.inside(inbox)}
            (data_dir / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        log = self.work / f"gui-{platform}.log"
        env = {"QT_QPA_PLATFORM": platform}
        command = [self.app, "--data-dir", str(data_dir)]
        if platform == "xcb":
            command = ["xvfb-run", "-a", *command]
        process = self.iso.popen(command, log=log, env=env)
        server_dir = data_dir / "local-server"
        found: dict[str, str] = {}
        running = lambda: process.poll() is None  # noqa: E731

        def server_up() -> bool:
            server_log = _read(server_dir / "server.log")
            if "Traceback" in server_log or "[PYI-" in server_log:
                raise CheckFailed(f"the local server failed:\n{server_log[-3000:]}")
            for line in server_log.splitlines():
                if "serving on http://" in line:
                    found["url"] = line.split("serving on ", 1)[1].strip()
            return "url" in found and healthy(found["url"])

        def completed() -> bool:
            out = self.iso.run([self.app, "--data-dir", str(data_dir), "jobs", "--json"])
            jobs = json.loads(out)
            failed = [j for j in jobs if j.get("status") == "failed"]
            if failed:
                raise CheckFailed(f"the captured receipt failed: {failed}")
            done = [j for j in jobs if j.get("status") == "completed" and j.get("merchant")]
            if done:
                keys = ("status", "merchant", "date", "total", "currency")
                found["job"] = json.dumps({k: done[0].get(k) for k in keys})
            return bool(done)

        try:
            wait_for("local server from the GUI", server_up, timeout=120, alive=running)
            if capture:
                receipt = receipt_png(self.work / f"receipt-{platform}.png")
                os.replace(receipt, inbox / "receipt.png")  # appears whole, never half-written
                wait_for(
                    "completed job from the watched folder", completed, timeout=240, alive=running
                )
        except CheckFailed as exc:
            raise CheckFailed(f"{exc}\nGUI log:\n{_read(log)[-3000:]}") from exc
        finally:
            stop(process)
        noise = [line for line in _read(log).splitlines() if "Could not load" in line]
        if noise:
            raise CheckFailed("Qt could not load a plugin:\n" + "\n".join(noise))
        if capture:
            return f"local server child at {found['url']}; watched-folder receipt: {found['job']}"
        return f"window up, local server child at {found['url']} answered /healthz"

    def server_ocr(self) -> str:
        import httpx

        data_dir = str(self.work / "data-server")
        srv = [self.server, "--data-dir", data_dir]
        version = self.iso.run([self.server, "--version"]).strip()
        self.iso.run([*srv, "init"])
        self.iso.run([*srv, "company", "add", "Field", "--plan", "enterprise"])
        added = self.iso.run([*srv, "user", "add", "field@example.com", "--company", "Field"])
        token = added.rsplit(":", 1)[1].strip().split()[0]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = self.work / "server.log"
        process = self.iso.popen(
            [*srv, "serve", "--host", "127.0.0.1", "--port", str(port)], log=log
        )
        try:
            running = lambda: process.poll() is None  # noqa: E731
            wait_for("/healthz", lambda: healthy(url), timeout=60, alive=running)
            headers = {"Authorization": f"Bearer {token}"}
            image = receipt_png(self.work / "receipt.png")
            with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
                media = client.post("/v1/media", files={"file": ("r.png", image.read_bytes())})
                media.raise_for_status()
                job = client.post(
                    "/v1/jobs", json={"media_id": media.json()["id"], "job_type": "receipt"}
                )
                job.raise_for_status()
                job_id = job.json()["id"]
                final: dict[str, object] = {}

                def done() -> bool:
                    body = client.get(f"/v1/jobs/{job_id}").json()
                    final.update(body)
                    return body["status"] in ("completed", "failed", "cancelled")

                wait_for("OCR result", done, timeout=180, alive=running)
        except (CheckFailed, httpx.HTTPError) as exc:
            raise CheckFailed(f"{exc}\nserver log:\n{_read(log)[-3000:]}") from exc
        finally:
            stop(process)
        if final.get("status") != "completed":
            raise CheckFailed(f"the receipt job ended {final.get('status')}: {final}")
        text = json.dumps(final.get("result"))
        if "7.70" not in text or "BAKERY" not in text.upper():
            raise CheckFailed(f"the OCR result misses the receipt's text: {text[:500]}")
        result = final.get("result") or {}
        fields = result.get("fields", result) if isinstance(result, dict) else result
        return f"{version}; receipt completed: {json.dumps(fields)[:200]}"

    def install(self) -> str:
        self.iso.run(["sh", str(self.app_dir / "install.sh")])
        link = self.home / ".local" / "bin" / cfg.APP_NAME
        desktop = self.home / ".local" / "share" / "applications" / "ocr-desk.desktop"
        if not link.is_symlink() or not desktop.is_file():
            raise CheckFailed(f"install.sh left no {link} symlink or no {desktop}")
        validated = ""
        if shutil.which("desktop-file-validate") and self.iso.rootfs is None:
            self.iso.run(["desktop-file-validate", str(desktop)])
            validated = "; desktop-file-validate: ok"
        shown = self.iso.run([str(link), "--version"]).strip()
        uninstall = self.home / ".local" / "share" / "ocr-desk" / "app" / "uninstall.sh"
        self.iso.run(["sh", str(uninstall)])
        if link.exists() or link.is_symlink() or desktop.exists():
            raise CheckFailed("uninstall.sh left the symlink or the .desktop entry behind")
        return f"~/.local/bin/ocr-desk --version: {shown}{validated}; uninstalled"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def find_tarball() -> Path:
    report = DIST / "build-report.json"
    if not report.exists():
        raise SystemExit("no dist/build-report.json: build first (make package)")
    data = json.loads(report.read_text(encoding="utf-8"))
    if "tarball" not in data:
        raise SystemExit("the last build made no tarball (the check runs on Linux only)")
    return Path(data["tarball"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="default: the last build's")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--no-xvfb", action="store_true", help="skip the GUI on xcb under Xvfb")
    parser.add_argument(
        "--rootfs",
        type=Path,
        help="run in a chroot of this minimal Linux root instead (e.g. made by "
        "`debootstrap --variant=minbase --include=libgl1,libegl1 bookworm DIR`): a fresh "
        "machine with no Python at all",
    )
    args = parser.parse_args(argv)
    tarball = args.tarball or find_tarball()
    rootfs = args.rootfs.resolve() if args.rootfs else None
    tmp_parent = None
    if rootfs is not None:
        tmp_parent = rootfs / "tmp"
        tmp_parent.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ocr-desk-check-", dir=tmp_parent))
    started = time.perf_counter()
    print(f"checking {tarball.name} in {work}", flush=True)
    try:
        xvfb = not args.no_xvfb and shutil.which("xvfb-run") is not None
        check = Check(tarball, work, xvfb=xvfb, rootfs=rootfs)
        with_server = Path(check.server).exists()
        check.step("isolation", check.no_python)
        check.step("ocr-desk --version", check.version)
        check.step("ocr-desk status --json", check.status)
        if with_server:
            check.step(
                "GUI offscreen, local server, receipt captured and OCR-ed",
                lambda: check.gui("offscreen", capture=True),
            )
            if rootfs is not None:
                print("  --  chroot: no X server in the minimal root, the xcb platform not checked")
            elif not check.xvfb:
                print("  --  no xvfb-run (apt-get install xvfb): the xcb platform not checked")
            else:
                check.step("GUI xcb (Xvfb) + local server", lambda: check.gui("xcb", capture=False))
            check.step("ocr-desk-server OCR of a receipt", check.server_ocr)
        else:
            print("  --  no ocr-desk-server in this bundle: GUI local mode and OCR not checked")
        check.step("install.sh / uninstall.sh", check.install)
    except CheckFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"bundle check passed in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
