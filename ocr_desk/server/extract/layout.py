"""Rebuild the printed rows of a page from OCR line boxes.

OCR engines return one box per run of text; a receipt prints a label on the left
and its amount on the right of the same row, often as two boxes. Grouping boxes
whose vertical centres line up gives back rows a person would read. Photos are
rarely square to the paper and receipts curl, so "lines up" follows the slope of
the row's own widest box rather than the page's horizontal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ocr_desk.server.ocr.base import OcrLine

__all__ = ["Row", "build_rows"]

MAX_SLOPE = math.tan(math.radians(25))


@dataclass(frozen=True, slots=True)
class Row:
    """One printed row: its pieces left to right, and where it sits on the page."""

    pieces: tuple[OcrLine, ...]
    page: int
    top: float
    bottom: float
    left: float
    right: float
    page_width: float

    @property
    def text(self) -> str:
        return " ".join(piece.text.strip() for piece in self.pieces if piece.text.strip())

    @property
    def confidence(self) -> float:
        weights = [max(len(p.text), 1) for p in self.pieces]
        total = sum(weights)
        return sum(p.confidence * w for p, w in zip(self.pieces, weights, strict=True)) / total

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class _Geometry:
    cx: float
    cy: float
    height: float
    width: float
    slope: float
    left: float
    right: float


def _geometry(line: OcrLine, page_slope: float | None = None) -> _Geometry:
    (x0, y0), (x1, y1), _, (x3, y3) = line.box
    xs = [point[0] for point in line.box]
    ys = [point[1] for point in line.box]
    width = math.dist((x0, y0), (x1, y1))
    height = max(math.dist((x0, y0), (x3, y3)), 1.0)
    slope = (y1 - y0) / (x1 - x0) if x1 - x0 > 1 else 0.0
    if page_slope is not None and (width < 4 * height or abs(slope) > MAX_SLOPE):
        slope = page_slope  # too short to tell its own direction: follow the page
    return _Geometry(
        cx=sum(xs) / 4,
        cy=sum(ys) / 4,
        height=height,
        width=width,
        slope=slope,
        left=min(xs),
        right=max(xs),
    )


def _same_row(anchor: _Geometry, other: _Geometry) -> bool:
    expected = anchor.cy + anchor.slope * (other.cx - anchor.cx)
    return abs(other.cy - expected) <= 0.5 * min(anchor.height, other.height)


def _page_slope(lines: list[OcrLine]) -> float:
    """The median slope of the page's wide boxes (0 when too few to tell)."""
    slopes = sorted(
        shape.slope
        for shape in (_geometry(line) for line in lines)
        if shape.width >= 4 * shape.height and abs(shape.slope) <= MAX_SLOPE
    )
    return slopes[len(slopes) // 2] if len(slopes) >= 3 else 0.0


def build_rows(lines: tuple[OcrLine, ...] | list[OcrLine]) -> list[Row]:
    """Rows in reading order (page, then top to bottom), pieces left to right."""
    rows: list[Row] = []
    for page in sorted({line.page for line in lines}):
        on_page = [line for line in lines if line.page == page and line.text.strip()]
        if not on_page:
            continue
        slope = _page_slope(on_page)
        shapes = {id(line): _geometry(line, slope) for line in on_page}
        width = max(shape.right for shape in shapes.values())
        middle = width / 2
        ordered = sorted(on_page, key=lambda line: shapes[id(line)].cy)
        groups: list[list[OcrLine]] = []
        anchors: list[_Geometry] = []
        for line in ordered:
            shape = shapes[id(line)]
            placed = False
            # Only the last few rows can take this piece: rows are built top-down.
            for index in range(len(groups) - 1, max(len(groups) - 4, -1), -1):
                if _same_row(anchors[index], shape):
                    groups[index].append(line)
                    if shape.width > anchors[index].width:
                        anchors[index] = shape
                    placed = True
                    break
            if not placed:
                groups.append([line])
                anchors.append(shape)
        for group, anchor in zip(groups, anchors, strict=True):
            pieces = tuple(sorted(group, key=lambda line: shapes[id(line)].left))
            centre = anchor.cy + anchor.slope * (middle - anchor.cx)
            height = max(shapes[id(p)].height for p in pieces)
            rows.append(
                Row(
                    pieces=pieces,
                    page=page,
                    top=centre - height / 2,
                    bottom=centre + height / 2,
                    left=min(shapes[id(p)].left for p in pieces),
                    right=max(shapes[id(p)].right for p in pieces),
                    page_width=width,
                )
            )
    rows.sort(key=lambda row: (row.page, row.top + row.height / 2))
    return rows
