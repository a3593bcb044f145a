"""Client side of the OCR server: API client, outbox relay, update feed, credentials.

No Qt here: the GUI drives a :class:`SyncEngine` from its own thread and listens to
the values of :mod:`ocr_desk.sync.events`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .client import ApiClient, JobPage, LoginResult, RemoteJob, RemoteMedia, SseEvent
    from .connectivity import OFFLINE_PROBE_DELAYS, Connectivity
    from .credentials import (
        KEYRING_SERVICE,
        TOKEN_ENV,
        CredentialStore,
        EncryptedFileKeyring,
        pick_keyring,
    )
    from .engine import EngineOptions, SyncEngine
    from .events import ConnectionState, JobsChanged, QueueChanged, StateChanged, SyncEvent
    from .feed import CursorStore, EventStream
    from .relay import MediaSource, Relay, RelayReport
    from .updates import JobUpdater
else:  # names load on first use (see ocr_desk._lazy)
    from ocr_desk._lazy import lazy_exports

    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "client": (
                "ApiClient",
                "JobPage",
                "LoginResult",
                "RemoteJob",
                "RemoteMedia",
                "SseEvent",
            ),
            "connectivity": (
                "OFFLINE_PROBE_DELAYS",
                "Connectivity",
            ),
            "credentials": (
                "KEYRING_SERVICE",
                "TOKEN_ENV",
                "CredentialStore",
                "EncryptedFileKeyring",
                "pick_keyring",
            ),
            "engine": (
                "EngineOptions",
                "SyncEngine",
            ),
            "events": (
                "ConnectionState",
                "JobsChanged",
                "QueueChanged",
                "StateChanged",
                "SyncEvent",
            ),
            "feed": (
                "CursorStore",
                "EventStream",
            ),
            "relay": (
                "MediaSource",
                "Relay",
                "RelayReport",
            ),
            "updates": ("JobUpdater",),
        },
    )

__all__ = [
    "KEYRING_SERVICE",
    "OFFLINE_PROBE_DELAYS",
    "TOKEN_ENV",
    "ApiClient",
    "ConnectionState",
    "Connectivity",
    "CredentialStore",
    "CursorStore",
    "EncryptedFileKeyring",
    "EngineOptions",
    "EventStream",
    "JobPage",
    "JobUpdater",
    "JobsChanged",
    "LoginResult",
    "MediaSource",
    "QueueChanged",
    "Relay",
    "RelayReport",
    "RemoteJob",
    "RemoteMedia",
    "SseEvent",
    "StateChanged",
    "SyncEngine",
    "SyncEvent",
    "pick_keyring",
]
