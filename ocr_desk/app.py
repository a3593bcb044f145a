"""The composition root: builds the application context the CLI and the GUI run on.

Nothing reaches for a global: widgets and commands receive what they need from
the :class:`AppContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_desk.core import AuthError, Clock, SystemClock
from ocr_desk.media import MEDIA_DIRNAME
from ocr_desk.services import JobService
from ocr_desk.settings import Settings, default_data_dir
from ocr_desk.store import DB_FILENAME, Store, open_store

if TYPE_CHECKING:  # loaded when first used: the GUI shows its window first
    from ocr_desk.media import MediaLibrary
    from ocr_desk.services import CaptureService
    from ocr_desk.sync import CredentialStore, EngineOptions, SyncEngine, SyncEvent

__all__ = ["AppContext"]


@dataclass(kw_only=True)
class AppContext:
    data_dir: Path
    settings: Settings
    store: Store
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(cls, data_dir: Path | str | None = None, *, clock: Clock | None = None) -> AppContext:
        folder = Path(data_dir).expanduser() if data_dir else default_data_dir()
        store = open_store(folder / DB_FILENAME)
        try:
            settings = Settings.load(folder)
        except BaseException:
            store.close()
            raise
        return cls(data_dir=folder, settings=settings, store=store, clock=clock or SystemClock())

    @property
    def company_id(self) -> str:
        return self.settings.company_id

    def job_service(self, store: Store | None = None) -> JobService:
        """A job service on this context's connection, or on ``store`` (another thread's)."""
        return JobService(store or self.store, company_id=self.company_id, clock=self.clock)

    @property
    def media_root(self) -> Path:
        """Where the content-addressed image files live."""
        return self.data_dir / MEDIA_DIRNAME

    def media_library(self, store: Store | None = None) -> MediaLibrary:
        """The media library on this context's connection, or on ``store`` (another thread's)."""
        from ocr_desk.media import MediaLibrary  # Pillow: a worker thread's first use loads it

        return MediaLibrary(
            store or self.store,
            company_id=self.company_id,
            root=self.media_root,
            clock=self.clock,
            prefer_original=self.settings.upload_original,
        )

    def capture_service(self, store: Store | None = None) -> CaptureService:
        """Capture (single files and batches) writing through ``store`` (default: this one)."""
        from ocr_desk.services import CaptureService

        store = store or self.store
        return CaptureService(
            library=self.media_library(store), jobs=self.job_service(store), clock=self.clock
        )

    def sync_engine(
        self,
        *,
        store: Store | None = None,
        listener: Callable[[SyncEvent], None] | None = None,
        options: EngineOptions | None = None,
        credentials: CredentialStore | None = None,
    ) -> SyncEngine:
        """A sync engine for the configured server, signed in with the saved token.

        Give the GUI's sync thread its own ``store`` (:meth:`open_thread_store`); the
        engine's ``client`` is the caller's to close. Raises :class:`AuthError` when no
        server is set or no token is saved.
        """
        from ocr_desk.sync import ApiClient, CredentialStore, EngineOptions, SyncEngine

        server = self.settings.server_url
        if not server:
            raise AuthError("no server is set: sign in first with `ocr-desk login --server URL`")
        token = (credentials or CredentialStore()).require_token(server)
        store = store or self.store
        library = self.media_library(store)
        engine = SyncEngine(
            store=store,
            company_id=self.company_id,
            client=ApiClient(base_url=server, token=token, ca_bundle=self.settings.ca_bundle),
            clock=self.clock,
            listener=listener,
            upload_file=library.upload_file,
            delete_after_ocr=library.delete_after_ocr,
            options=options or EngineOptions(delete_after_ocr=self.settings.delete_after_ocr),
        )
        if self.settings.sync_paused:
            engine.pause("sync is paused in the settings")
        return engine

    def open_thread_store(self) -> Store:
        """A new connection to the same database, for a worker thread."""
        return open_store(self.data_dir / DB_FILENAME)

    def save_settings(self, settings: Settings) -> None:
        settings.save(self.data_dir)
        self.settings = settings

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
