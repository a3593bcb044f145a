"""RapidOCR: the default engine (PP-OCR ONNX models shipped inside the ``rapidocr`` wheel).

The models are loaded once per process (a worker handles many jobs) and never
downloaded: ``check()`` refuses to start if the wheel's model files are missing.
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from PIL import Image

from ocr_desk.server.ocr.base import EngineError, EngineUnavailableError, OcrLine, OcrOutput

__all__ = ["RapidOcrEngine"]

_MODELS: dict[tuple[tuple[str, Any], ...], Any] = {}
_MODELS_LOCK = threading.Lock()


def _load(params: dict[str, Any]) -> Any:
    """One RapidOCR instance per configuration per process."""
    key = tuple(sorted(params.items()))
    with _MODELS_LOCK:
        model = _MODELS.get(key)
        if model is None:
            from rapidocr import RapidOCR

            model = RapidOCR(params=params)
            # RapidOCR logs every model path at INFO on load; keep worker logs quiet.
            logging.getLogger("RapidOCR").setLevel(logging.WARNING)
            _MODELS[key] = model
        return model


class RapidOcrEngine:
    """Reads text lines with RapidOCR; about 1-2 s per receipt page on 2 cores."""

    name = "rapidocr"

    def __init__(
        self,
        *,
        threads: int = 0,
        text_score: float = 0.5,
        upscale_below: int = 0,
        box_thresh: float = 0.5,
        unclip_ratio: float = 1.6,
        limit_side_len: int = 736,
        use_cls: bool = True,
        rec_batch: int = 1,
    ) -> None:
        """``upscale_below``: pages whose longer side is shorter are enlarged 2x first
        (small scans read better); 0 turns it off. ``box_thresh`` (detector score a text
        box needs), ``unclip_ratio`` (how far a detected box is grown around its text) and
        ``limit_side_len`` (the detector's input: shorter side scaled to at least this)
        are RapidOCR's detector settings, with its defaults; ``use_cls`` runs the
        line-direction classifier (upside-down lines within an upright page).

        ``rec_batch``: how many text boxes the recogniser reads in one pass (RapidOCR's
        ``rec_batch_num``, whose default is 6). A pass pads every box to the widest of its
        batch, and that padding changes what is read; 1 reads each box alone: words run
        together less often, about as fast with all threads and faster with one
        (measured in docs/ocr.md)."""
        if isinstance(rec_batch, bool) or not isinstance(rec_batch, int) or rec_batch < 1:
            raise EngineUnavailableError(
                f"Bad configuration for OCR engine 'rapidocr': rec_batch must be a whole "
                f"number of at least 1 (got {rec_batch!r}); 6 is RapidOCR's default."
            )
        self._upscale_below = upscale_below
        self._params: dict[str, Any] = {
            "Global.log_level": "warning",
            "Global.text_score": text_score,
            "Det.box_thresh": box_thresh,
            "Det.unclip_ratio": unclip_ratio,
            "Det.limit_side_len": limit_side_len,
            "Global.use_cls": use_cls,
            "Rec.rec_batch_num": rec_batch,
        }
        if threads > 0:
            self._params["EngineConfig.onnxruntime.intra_op_num_threads"] = threads
        self.settings: dict[str, Any] = {
            "text_score": text_score,
            "upscale_below": upscale_below,
            "box_thresh": box_thresh,
            "unclip_ratio": unclip_ratio,
            "limit_side_len": limit_side_len,
            "use_cls": use_cls,
            "rec_batch": rec_batch,
        }
        """Every option that changes what is read (``threads`` changes only the speed):
        benchmarks key their cached OCR output on it, so a changed default is a new key."""
        self._lock = threading.Lock()
        try:
            self.version = metadata.version("rapidocr")
        except metadata.PackageNotFoundError:
            self.version = "unknown"

    def check(self) -> None:
        try:
            import onnxruntime  # noqa: F401
            import rapidocr
        except ImportError as exc:
            raise EngineUnavailableError(
                f"The rapidocr engine needs the 'rapidocr' and 'onnxruntime' packages ({exc}); "
                "install them with: pip install 'ocr-desk[server]'."
            ) from exc
        models = Path(rapidocr.__file__).parent / "models"
        if not any(models.glob("*.onnx")):
            raise EngineUnavailableError(
                f"RapidOCR's models are missing from {models}; reinstall the 'rapidocr' "
                "wheel (pip install --force-reinstall rapidocr): this server downloads nothing."
            )
        _load(self._params)

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        model = _load(self._params)
        lines: list[OcrLine] = []
        started = time.perf_counter()
        for index, page in enumerate(pages):
            try:
                # ONNX sessions are thread-safe, RapidOCR's pre/post state is not.
                if max(page.size) < self._upscale_below:
                    page = page.resize((page.width * 2, page.height * 2), Image.Resampling.LANCZOS)
                with self._lock:
                    result = model(page)
            except Exception as exc:  # RapidOCR raises bare exceptions of its own
                raise EngineError(f"RapidOCR failed on page {index + 1}: {exc}") from exc
            boxes = getattr(result, "boxes", None)
            if boxes is None:
                continue
            for box, text, score in zip(boxes, result.txts, result.scores, strict=False):
                corners = tuple((float(x), float(y)) for x, y in box[:4])
                lines.append(
                    OcrLine(
                        text=str(text),
                        confidence=float(score),
                        box=corners,  # type: ignore[arg-type]
                        page=index,
                    )
                )
        return OcrOutput(
            lines=tuple(lines),
            engine=self.name,
            engine_version=self.version,
            seconds=time.perf_counter() - started,
            pages=len(pages),
            page_sizes=tuple(page.size for page in pages),
        )
