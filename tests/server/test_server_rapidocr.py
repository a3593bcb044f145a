"""End to end with the real RapidOCR engine: a Pillow-rendered receipt goes up over HTTP
and comes back as a completed job with its text and fields (in-process worker, SQLite)."""

from __future__ import annotations

import io
from pathlib import Path

from ocr_desk.server.ocr import get_engine

from .render import grocery_receipt, render
from .support import LiveServer, add_account, open_ctx, wait_until


def test_real_engine_reads_an_uploaded_receipt(tmp_path: Path) -> None:
    ctx = open_ctx(
        tmp_path / "srv", f"sqlite:///{tmp_path / 'srv' / 'db.sqlite3'}", poll_interval=0.2
    )
    try:
        account = add_account(ctx, plan="premium")
        buffer = io.BytesIO()
        render(grocery_receipt()).save(buffer, "JPEG", quality=90)
        with (
            LiveServer(ctx, engine=get_engine("rapidocr"), workers=1) as live,
            live.client(account) as client,
        ):
            media = client.post("/v1/media", files={"file": ("r.jpg", buffer.getvalue())})
            assert media.status_code == 201
            job = client.post("/v1/jobs", json={"media_id": media.json()["id"]}).json()
            done = wait_until(
                lambda: (
                    (j := client.get(f"/v1/jobs/{job['id']}").json())["status"]
                    in {"completed", "failed"}
                    and j
                ),
                timeout=120,
                what="the RapidOCR job",
            )
    finally:
        ctx.close()
    assert done["status"] == "completed", done["error"]
    assert "GREEN LEAF" in done["result"]["text"].upper()
    assert done["result"]["engine"] == "rapidocr"
    assert done["result"]["fields"]["total"]["value"] == "10.12"
    assert done["cost"]["pages"] == 1
    assert done["cost"]["amount"] == "0.0100"
    assert float(done["cost"]["engine_seconds"]) > 0
