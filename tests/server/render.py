"""Render receipts with Pillow for the OCR tests: known fields, several layouts and fonts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def font(size: int, *, mono: bool = False, bold: bool = False) -> ImageFont.ImageFont:
    """A DejaVu font when the system has one, else Pillow's own scalable default."""
    name = "DejaVuSansMono" if mono else "DejaVuSans"
    if bold:
        name += "-Bold"
    for folder in FONT_DIRS:
        path = folder / f"{name}.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size)  # type: ignore[return-value]
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


@dataclass(frozen=True)
class Row:
    left: str
    right: str = ""
    centred: bool = False
    big: bool = False
    scale: float = 1.3
    """Type size of a ``big`` row against the body."""


def render(
    rows: list[Row],
    *,
    width: int = 620,
    size: int = 24,
    mono: bool = False,
    angle: float = 0.0,
    noise: float = 0.0,
    seed: int = 1,
) -> Image.Image:
    """A white receipt with ``rows``; optionally rotated and speckled with noise."""
    line_height = int(size * 1.6)
    height = line_height * (len(rows) + 2)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    y = line_height
    margin = 30
    for row in rows:
        face = font(int(size * row.scale) if row.big else size, mono=mono, bold=row.big)
        if row.centred:
            text_width = draw.textlength(row.left, font=face)
            draw.text(((width - text_width) / 2, y), row.left, fill="black", font=face)
        else:
            draw.text((margin, y), row.left, fill="black", font=face)
        if row.right:
            text_width = draw.textlength(row.right, font=face)
            draw.text((width - margin - text_width, y), row.right, fill="black", font=face)
        y += line_height
    if noise:
        rng = random.Random(seed)
        pixels = image.load()
        assert pixels is not None
        for _ in range(int(width * height * noise)):
            x, yy = rng.randrange(width), rng.randrange(height)
            shade = rng.randrange(0, 256)
            pixels[x, yy] = (shade, shade, shade)
    if angle:
        image = image.rotate(
            angle, expand=True, fillcolor="white", resample=Image.Resampling.BICUBIC
        )
    return image


def grocery_receipt() -> list[Row]:
    return [
        Row("GREEN LEAF MARKET LTD", centred=True, big=True),
        Row("12 Harbour Road, Springfield 40210", centred=True),
        Row("Tel: 555-0142", centred=True),
        Row("Date: 25/12/2018   Time: 14:32"),
        Row("Apples 2 x 1.50", "3.00"),
        Row("Whole Milk", "2.45"),
        Row("Rye Bread", "4.10"),
        Row("Subtotal", "9.55"),
        Row("GST 6%", "0.57"),
        Row("TOTAL", "10.12"),
        Row("CASH", "20.00"),
        Row("CHANGE", "9.88"),
    ]


def diner_receipt() -> list[Row]:
    return [
        Row("BLUE MOON DINER", centred=True, big=True),
        Row("450 Elm Street", centred=True),
        Row("Portland, OR 97205", centred=True),
        Row("03/14/2024  7:45 PM"),
        Row("2 @ 4.50 Pancakes", "9.00"),
        Row("Coffee", "2.75"),
        Row("Omelette", "11.70"),
        Row("Sub Total", "$23.45"),
        Row("Sales Tax", "$2.08"),
        Row("Amount Due", "$25.53"),
        Row("VISA ****1234", "$25.53"),
    ]


def invoice_document() -> list[Row]:
    return [
        Row("NORTHWIND TRADERS LTD", big=True),
        Row("8 Canal Street, Leeds LS1 4AP"),
        Row("Invoice No: INV-1042"),
        Row("Invoice Date: 5 March 2024"),
        Row("Due Date: 4 April 2024"),
        Row("Consulting, 10 hours", "1,000.00"),
        Row("Travel", "28.75"),
        Row("Net amount", "1,028.75"),
        Row("VAT 20%", "205.75"),
        Row("Total due", "£1,234.50"),
    ]


def kedai_receipt() -> list[Row]:
    """A shop whose name runs over two rows of large type, a store number above the
    address, the address ending with the country, then the branch."""
    return [
        Row("PUSTAKA", centred=True, big=True, scale=1.8),
        Row("MUTIARA", centred=True, big=True, scale=1.8),
        Row("550213", centred=True),
        Row("No 8, Jalan Melur 5/12B,", centred=True),
        Row("56000 Kuala Lumpur, Malaysia", centred=True),
        Row("MIDVALLEY OUTLET", centred=True),
        Row("Tel: 03-9201 1234", centred=True),
        Row("Date: 07/08/2019  10:15"),
        Row("Exercise book x 3", "7.50"),
        Row("Pencil 2B", "1.20"),
        Row("TOTAL", "RM 8.70"),
        Row("CASH", "10.00"),
        Row("CHANGE", "1.30"),
    ]
