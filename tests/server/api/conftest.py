"""Every API test runs twice: on SQLite and on a real PostgreSQL started by the test setup."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ocr_desk.core import ManualClock
from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker

from ..engines import FakeEngine
from ..support import Account, LiveServer, add_account, fresh_database, open_ctx, unlimited_plans


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture
def make_ctx(
    tmp_path: Path, db_url: str, clock: ManualClock
) -> Iterator[Callable[..., ServerContext]]:
    opened: list[ServerContext] = []

    def make(**overrides: Any) -> ServerContext:
        # the tests' "enterprise" uploads without an hourly limit (free/premium keep 10)
        overrides.setdefault("plans", unlimited_plans())
        ctx = open_ctx(tmp_path / "server", db_url, clock, **overrides)
        opened.append(ctx)
        return ctx

    yield make
    for ctx in opened:
        ctx.close()


@pytest.fixture
def ctx(make_ctx: Callable[..., ServerContext]) -> ServerContext:
    return make_ctx()


@pytest.fixture
def live(ctx: ServerContext) -> Iterator[LiveServer]:
    with LiveServer(ctx) as server:
        yield server


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def worker(ctx: ServerContext, engine: FakeEngine, clock: ManualClock) -> Worker:
    """A worker driven step by step by the test (``run_once``), on the test's clock."""
    return Worker(ctx.db, engine, config=ctx.config, clock=clock, worker_id="test-worker")


@pytest.fixture
def alice(ctx: ServerContext) -> Account:
    return add_account(ctx, plan="enterprise", name="alice-co")


@pytest.fixture
def bob(ctx: ServerContext) -> Account:
    return add_account(ctx, plan="enterprise", name="bob-co")
