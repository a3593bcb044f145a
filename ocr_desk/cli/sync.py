"""``ocr-desk login``, ``logout``, ``sync``, ``retry``, ``cancel`` and ``export``."""

from __future__ import annotations

import argparse
import getpass
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ocr_desk.app import AppContext
from ocr_desk.core import (
    OcrDeskError,
)
from ocr_desk.sync.events import ConnectionState, StateChanged, SyncEvent

from ._base import open_context

if TYPE_CHECKING:  # httpx, keyring, cryptography: loaded by the commands that use them
    from ocr_desk.sync import EngineOptions, SyncEngine

__all__ = ["open_engine", "register"]


def register(sub: Any) -> None:
    login = sub.add_parser("login", help="sign in to an OCR server and keep the token")
    login.add_argument("--server", required=True, metavar="URL", help="the server's address")
    login.add_argument("--email", help="your email (asked when missing)")
    login.add_argument("--token", help="use this API token instead of email and password")
    login.set_defaults(handler=cmd_login)

    logout = sub.add_parser("logout", help="forget the saved token")
    logout.set_defaults(handler=cmd_logout)

    sync = sub.add_parser("sync", help="send the queue to the server and fetch results")
    sync.add_argument("--watch", action="store_true", help="keep syncing until stopped")
    sync.add_argument(
        "--no-wait", action="store_true", help="exit once the queue is sent, without results"
    )
    sync.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="give up after S seconds"
    )
    sync.set_defaults(handler=cmd_sync)

    retry = sub.add_parser("retry", help="send failed jobs again (all failed jobs by default)")
    retry.add_argument("job_ids", nargs="*", metavar="JOB_ID", help="job ids or id prefixes")
    retry.set_defaults(handler=cmd_retry)

    cancel = sub.add_parser("cancel", help="cancel a queued, processing or failed job")
    cancel.add_argument("job_id", metavar="JOB_ID", help="a job id or id prefix")
    cancel.set_defaults(handler=cmd_cancel)

    export = sub.add_parser("export", help="export the fields of completed receipts")
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.add_argument("--since", metavar="DATE", help="only captures from DATE (YYYY-MM-DD)")
    export.set_defaults(handler=cmd_export)


# -- login / logout -------------------------------------------------------------------


def cmd_login(args: argparse.Namespace, out: TextIO) -> int:
    from ocr_desk.sync import ApiClient, CredentialStore

    with open_context(args) as ctx:
        server = args.server.rstrip("/")
        creds = CredentialStore()
        with ApiClient(base_url=server, ca_bundle=ctx.settings.ca_bundle) as client:
            if args.token:
                client.set_token(args.token)
                me = client.me()
                token, email = args.token, str(me.get("user", {}).get("email", ""))
            else:
                email = args.email or input("Email: ").strip()
                password = getpass.getpass("Password: ")
                login = client.login(email=email, password=password)
                token, email = login.token, login.email
        creds.save(server, token)
        ctx.save_settings(ctx.settings.with_changes(server_url=server))
        if creds.notice:
            print(f"note: {creds.notice}", file=sys.stderr)
        out.write(f"signed in to {server} as {email}\n")
        return 0


def cmd_logout(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        server = ctx.settings.server_url
        if not server:
            out.write("not signed in\n")
            return 0
        from ocr_desk.sync import CredentialStore

        removed = CredentialStore().forget(server)
        out.write(f"signed out of {server}\n" if removed else f"no saved sign-in for {server}\n")
        return 0


# -- sync ------------------------------------------------------------------------------


def open_engine(
    ctx: AppContext,
    *,
    listener: Callable[[SyncEvent], None] | None = None,
    options: EngineOptions | None = None,
) -> SyncEngine:
    """A sync engine on this context's store, signed in with the saved token."""
    return ctx.sync_engine(listener=listener, options=options)


def cmd_sync(args: argparse.Namespace, out: TextIO) -> int:
    from ocr_desk.sync import EngineOptions

    with open_context(args) as ctx:

        def log(event: SyncEvent) -> None:
            if isinstance(event, StateChanged):
                reason = f" ({event.reason})" if event.reason else ""
                out.write(f"{_stamp()} {event.state.value}{reason}\n")
                out.flush()

        options = EngineOptions(delete_after_ocr=ctx.settings.delete_after_ocr)
        if args.no_wait:  # only send: no results wanted now
            options = EngineOptions(use_events=False, poll_interval=None)
        engine = open_engine(ctx, listener=log if args.watch else None, options=options)
        try:
            return _watch(engine, out) if args.watch else _drain(engine, args, out)
        finally:
            engine.close()
            engine.client.close()


def _drain(engine: SyncEngine, args: argparse.Namespace, out: TextIO) -> int:
    deadline = time.monotonic() + args.timeout
    engine.resume()  # an explicit `sync` runs even when the GUI's sync is paused
    engine.start_feed()
    sent_before = engine.pending_uploads()
    while True:
        due = engine.step()
        state = engine.connectivity.snapshot()
        if state.state in (ConnectionState.OFFLINE, ConnectionState.SIGNED_OUT):
            left = engine.pending_uploads()
            print(
                f"error: sync stopped: {state.state.value}: {state.reason} "
                f"({left} change(s) still queued)",
                file=sys.stderr,
            )
            return 2 if state.state is ConnectionState.OFFLINE else 3
        if state.state is ConnectionState.QUOTA_PAUSED:
            print(f"error: {state.reason}", file=sys.stderr)
            return 4
        pending = engine.pending_uploads()
        waiting = 0 if args.no_wait else engine.open_remote_jobs()
        blocked = pending and due is None
        if (pending == 0 or blocked) and waiting == 0:
            break
        if time.monotonic() > deadline:
            print(
                f"error: gave up after {args.timeout:.0f} s: {pending} change(s) to send, "
                f"{waiting} job(s) still processing on the server",
                file=sys.stderr,
            )
            return 5
        engine.wait(engine.seconds_until(due) if pending else min(1.0, engine.seconds_until(due)))
    counts = engine.jobs.counts(now=datetime.now(UTC))
    out.write(
        f"synced {sent_before} change(s); completed {counts.completed_24h}, "
        f"failed {counts.failed}, queued {counts.queued}, processing {counts.processing}\n"
    )
    failed = engine.pending_uploads()
    if failed:
        out.write(f"{failed} change(s) wait for `ocr-desk retry` (see `ocr-desk jobs`)\n")
    return 0


def _watch(engine: SyncEngine, out: TextIO) -> int:
    state = engine.connectivity.snapshot()
    out.write(f"{_stamp()} watching {engine.client.base_url} (Ctrl+C stops)\n")
    out.write(f"{_stamp()} {state.state.value}\n")
    out.flush()
    engine.start()
    stop = threading.Event()
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        return 0
    return 0


# -- retry / cancel ----------------------------------------------------------------------


def cmd_retry(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        service = ctx.job_service()
        if not args.job_ids:
            count = service.retry_all_failed()
            out.write(f"{count} failed job(s) queued again\n")
            return 0
        failures = 0
        for ref in args.job_ids:  # one bad id does not stop the others
            try:
                job = service.retry(service.find_by_ref(ref).id)
            except OcrDeskError as exc:
                print(f"error: {exc.message}", file=sys.stderr)
                failures += 1
                continue
            out.write(f"{job.id} queued again\n")
        return 1 if failures else 0


def cmd_cancel(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        service = ctx.job_service()
        job = service.cancel(service.find_by_ref(args.job_id).id)
        out.write(f"{job.id} cancelled\n")
        return 0


# -- export ---------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    since: datetime | None = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError as exc:
            raise OcrDeskError(
                f"--since {args.since!r} is not a date; write it as YYYY-MM-DD", code="BAD_DATE"
            ) from exc
    from ocr_desk.services.export import export_rows, export_to_file, write_export

    with open_context(args) as ctx:
        if args.output:
            target = Path(args.output)
            count = export_to_file(
                ctx.store, company_id=ctx.company_id, path=target, fmt=args.format, since=since
            )
            out.write(f"{count} receipt(s) written to {target}\n")
        else:
            write_export(
                export_rows(ctx.store, company_id=ctx.company_id, since=since), args.format, out
            )
    return 0


def _stamp() -> str:
    return datetime.now(UTC).strftime("%H:%M:%S")
