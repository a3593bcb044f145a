"""Screenshots of the desktop app for the README: main window, detail pane, settings.

Starts a virtual X server (Xvfb) unless a display is already there, makes a fresh
data dir, generates sample receipts with Pillow, drops them on the window in local
mode (the app starts its own OCR server), waits until the receipts come back with
fields, and saves PNGs to docs/screenshots/.

Run: ``python scripts/screenshots.py`` (needs Xvfb: ``apt-get install xvfb``).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"

SHOPS = [
    ("CORNER CAFE", ["Flat white", "Croissant", "Orange juice"]),
    ("CITY HARDWARE", ["Screws 4x40", "Wall plugs", "Drill bit 6mm"]),
    ("GREEN GROCER", ["Apples 1kg", "Bananas", "Tomatoes", "Basil"]),
    ("FUEL STATION 24", ["Unleaded 32.5 L", "Car wash"]),
    ("BOOK NOOK", ["Notebook A5", "Pens (3)"]),
    ("TAXI CO", ["Fare", "Airport fee"]),
]


def make_receipt(path: Path, n: int) -> None:
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(n)
    shop, items = SHOPS[n % len(SHOPS)]
    font = ImageFont.truetype("DejaVuSansMono.ttf", 34)
    bold = ImageFont.truetype("DejaVuSansMono-Bold.ttf", 44)
    image = Image.new("RGB", (1000, 1300), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    y = 60
    draw.text((80, y), shop, font=bold, fill="black")
    y += 80
    draw.text((80, y), f"2026-03-{(n % 27) + 1:02d}  12:{10 + n:02d}", font=font, fill="black")
    y += 90
    total = 0.0
    for item in items:
        price = round(rng.uniform(1.5, 40.0), 2)
        total += price
        draw.text((80, y), f"{item:<22}{price:>8.2f}", font=font, fill="black")
        y += 55
    tax = round(total * 0.2 / 1.2, 2)
    y += 30
    draw.line((80, y, 900, y), fill="black", width=3)
    y += 30
    draw.text((80, y), f"{'TAX':<22}{tax:>8.2f}", font=font, fill="black")
    y += 60
    draw.text((80, y), f"{'TOTAL EUR':<22}{total:>8.2f}", font=bold, fill="black")
    y += 100
    draw.text((80, y), "THANK YOU", font=font, fill="black")
    image = image.rotate(rng.uniform(-2, 2), expand=True, fillcolor=(90, 90, 90))
    image.save(path, "JPEG", quality=88)


def start_display() -> subprocess.Popen[bytes] | None:
    if os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return None
    if shutil.which("Xvfb") is None:
        raise SystemExit("Xvfb is needed: apt-get install xvfb")
    display = f":{90 + os.getpid() % 9}"
    proc = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.environ["DISPLAY"] = display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    time.sleep(1.0)  # give the X server a moment to accept clients
    return proc


def main() -> int:
    sys.path.insert(0, str(ROOT))
    xvfb = start_display()
    try:
        return shoot()
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)


def wait(app, condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def shoot() -> int:
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QApplication

    from ocr_desk.app import AppContext
    from ocr_desk.ui import build_window

    app = QApplication(sys.argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        inbox = tmp / "receipts"
        inbox.mkdir()
        for n in range(8):
            make_receipt(inbox / f"receipt-{n + 1:02d}.jpg", n)
        (inbox / "notes.txt").write_text("not a receipt")
        with AppContext.open(tmp / "data") as ctx:
            window = build_window(ctx)
            window.resize(1400, 860)
            window.show()
            window.start()
            wait(app, lambda: window.status_panel.state is not None, 90)
            window.capture.capture([inbox])
            done = wait(app, lambda: window.status_panel.counts.get("completed24h", 0) >= 8, 240)
            print("all receipts processed" if done else "timed out waiting for OCR results")
            wait(app, lambda: False, 1.5)
            window.grab().save(str(OUT / "main-window.png"))

            model = window.model
            row = next(
                (r for r in range(model.rowCount()) if model.job_at(r).status.value == "completed"),
                0,
            )
            window.table.selectionModel().select(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            shown: list[str] = []
            window.detail.sig_image_shown.connect(shown.append)
            wait(app, lambda: bool(shown), 20)
            window.detail.tabs.setCurrentIndex(1)
            wait(app, lambda: False, 0.5)
            fields = window.detail.grab()
            window.detail.tabs.setCurrentIndex(0)
            wait(app, lambda: False, 0.5)
            window.grab().save(str(OUT / "detail-pane.png"))
            fields.save(str(OUT / "detail-fields.png"))

            dialog = window.open_settings()
            wait(app, lambda: False, 1.0)
            dialog.grab().save(str(OUT / "settings.png"))
            dialog.reject()
            window.close()
            window.runner.shutdown()
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
