"""``serve`` (API + in-process workers) and ``worker`` (workers alone)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from typing import Any, TextIO

from ..context import ServerContext, load_engine
from ..worker import Worker
from ._base import DATA_DIR_ENV, data_dir_of, open_server

__all__ = ["app_from_env", "register"]

_ENV_OPTIONS = "OCR_DESK_SERVER_OPTIONS"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser("serve", help="run the API (and, by default, one OCR worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers", type=int, default=1, metavar="N", help="API processes (uvicorn workers)"
    )
    serve.add_argument(
        "--ocr-workers",
        type=int,
        default=1,
        metavar="N",
        help="OCR workers inside each API process (0: run `worker` separately)",
    )
    serve.add_argument("--engine", help="OCR engine name or module:factory (default: rapidocr)")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(handler=cmd_serve)

    worker = sub.add_parser("worker", help="run OCR workers only (any number, anywhere)")
    worker.add_argument(
        "--concurrency", type=int, default=1, metavar="N", help="worker threads in this process"
    )
    worker.add_argument("--engine", help="OCR engine name or module:factory (default: rapidocr)")
    worker.add_argument(
        "--heartbeat-timeout",
        type=float,
        metavar="SECONDS",
        help="reclaim jobs whose worker was silent this long",
    )
    worker.add_argument("--heartbeat-interval", type=float, metavar="SECONDS")
    worker.add_argument("--poll-interval", type=float, metavar="SECONDS")
    worker.set_defaults(handler=cmd_worker)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("heartbeat_timeout", "heartbeat_interval", "poll_interval")
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    if args.workers > 1:
        os.environ[DATA_DIR_ENV] = str(data_dir_of(args))
        os.environ[_ENV_OPTIONS] = json.dumps(
            {"database": args.database, "engine": args.engine, "ocr_workers": args.ocr_workers}
        )
        uvicorn.run(
            "ocr_desk.server.cli.run:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
        )
        return 0
    ctx = open_server(args)
    try:
        app = _build(ctx, args.engine, args.ocr_workers)
        out.write(f"serving on http://{args.host}:{args.port}\n")
        out.flush()
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            timeout_graceful_shutdown=5,
        )
    finally:
        ctx.close()
    return 0


def _build(ctx: ServerContext, engine_name: str | None, ocr_workers: int) -> Any:
    from ..api import create_app

    engine = None
    if ocr_workers > 0:
        engine = load_engine(engine_name or ctx.config.engine, dict(ctx.config.engine_config))
    return create_app(ctx, engine=engine, workers=ocr_workers)


def app_from_env() -> Any:
    """The app of one uvicorn worker process (``serve --workers N``)."""
    options = json.loads(os.environ.get(_ENV_OPTIONS, "{}"))
    ctx = ServerContext.open(os.environ[DATA_DIR_ENV], database_url=options.get("database"))
    return _build(ctx, options.get("engine"), int(options.get("ocr_workers", 1)))


def cmd_worker(args: argparse.Namespace, out: TextIO) -> int:
    ctx = open_server(args, **_overrides(args))
    try:
        ctx.db.start_listening()
        spec = args.engine or ctx.config.engine
        workers = [
            Worker(
                ctx.db,
                load_engine(spec, dict(ctx.config.engine_config)),
                config=ctx.config,
                clock=ctx.clock,
            )
            for _ in range(max(args.concurrency, 1))
        ]

        def stop(*_: object) -> None:
            for worker in workers:
                worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        threads = [
            threading.Thread(target=w.run, name=f"ocr-worker-{i}", daemon=True)
            for i, w in enumerate(workers)
        ]
        for thread in threads:
            thread.start()
        out.write(f"worker ready: {len(workers)} x {spec} ({workers[0].worker_id})\n")
        out.flush()
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        ctx.close()
    return 0
