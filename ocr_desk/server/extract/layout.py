"""Rebuild the printed rows of a page from OCR line boxes.

OCR engines return one box per run of text; a receipt prints a label on the left
and its amount on the right of the same row, often as two boxes. Grouping boxes
whose vertical centres overlap gives back rows a person would read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocr_desk.server.ocr.base import OcrLine

__all__ = ["Row", "build_rows"]


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


def _extent(line: OcrLine) -> tuple[float, float, float, float]:
    xs = [point[0] for point in line.box]
    ys = [point[1] for point in line.box]
    return min(xs), min(ys), max(xs), max(ys)


def build_rows(lines: tuple[OcrLine, ...] | list[OcrLine]) -> list[Row]:
    """Rows in reading order (page, then top to bottom), pieces left to right."""
    rows: list[Row] = []
    for page in sorted({line.page for line in lines}):
        on_page = [line for line in lines if line.page == page and line.text.strip()]
        if not on_page:
            continue
        width = max(_extent(line)[2] for line in on_page)
        ordered = sorted(on_page, key=lambda line: (_extent(line)[1] + _extent(line)[3]) / 2)
        groups: list[list[OcrLine]] = []
        spans: list[tuple[float, float]] = []
        for line in ordered:
            _, top, _, bottom = _extent(line)
            centre = (top + bottom) / 2
            height = max(bottom - top, 1.0)
            placed = False
            # Only the last few rows can take this piece: rows are built top-down.
            for index in range(len(groups) - 1, max(len(groups) - 4, -1), -1):
                g_top, g_bottom = spans[index]
                g_centre = (g_top + g_bottom) / 2
                g_height = max(g_bottom - g_top, 1.0)
                if abs(centre - g_centre) <= 0.5 * min(height, g_height):
                    groups[index].append(line)
                    spans[index] = (min(g_top, top), max(g_bottom, bottom))
                    placed = True
                    break
            if not placed:
                groups.append([line])
                spans.append((top, bottom))
        for group, (top, bottom) in zip(groups, spans, strict=True):
            pieces = tuple(sorted(group, key=lambda line: _extent(line)[0]))
            rows.append(
                Row(
                    pieces=pieces,
                    page=page,
                    top=top,
                    bottom=bottom,
                    left=min(_extent(p)[0] for p in pieces),
                    right=max(_extent(p)[2] for p in pieces),
                    page_width=width,
                )
            )
    rows.sort(key=lambda row: (row.page, row.top))
    return rows
