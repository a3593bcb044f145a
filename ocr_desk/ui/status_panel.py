"""The status panel: the queue at a glance, fed by sync events and one-off reads.

Nothing here reads the database: the main window hands it counts (from the sync
engine's ``QueueChanged`` or a one-off read after a local change) and connection
states (``StateChanged``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QWidget

from ocr_desk.sync.events import ConnectionState, StateChanged

__all__ = ["StatusPanel", "describe_state", "human_bytes"]

_STATE_TEXT = {
    ConnectionState.ONLINE: "Online",
    ConnectionState.OFFLINE: "Offline",
    ConnectionState.SIGNED_OUT: "Signed out",
    ConnectionState.QUOTA_PAUSED: "Paused: monthly quota used up",
    ConnectionState.RATE_LIMITED: "Rate limited",
    ConnectionState.PAUSED: "Sync paused",
}
_STATE_COLOUR = {
    ConnectionState.ONLINE: "#1e7a34",
    ConnectionState.OFFLINE: "#b3261e",
    ConnectionState.SIGNED_OUT: "#b3261e",
    ConnectionState.QUOTA_PAUSED: "#8a5a00",
    ConnectionState.RATE_LIMITED: "#8a5a00",
    ConnectionState.PAUSED: "#5f6368",
}


def _clock(when: datetime) -> str:
    local = when.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def describe_state(event: StateChanged) -> str:
    """One line a person understands: "Offline since 09:12 (retry at 09:13)"."""
    text = _STATE_TEXT[event.state]
    if event.state == ConnectionState.ONLINE:
        return text
    text += f" since {_clock(event.since)}"
    if event.until is not None:
        text += f" until {_clock(event.until)}"
    if event.reason:
        text += f": {event.reason}"
    return text


def human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


class StatusPanel(QFrame):
    """Queued, processing, failed, completed in 24 h, waiting for upload, connection, quota."""

    COUNT_KEYS = (
        ("queued", "Queued"),
        ("processing", "Processing"),
        ("failed", "Failed"),
        ("completed24h", "Completed (24 h)"),
        ("waiting_upload", "Waiting for upload"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Queue status")
        form = QFormLayout(self)
        form.setContentsMargins(10, 8, 10, 8)
        self.count_labels: dict[str, QLabel] = {}
        for key, title in self.COUNT_KEYS:
            label = self._value(f"{title}: 0", "0")
            self.count_labels[key] = label
            form.addRow(f"{title}:", label)
        self.connection = self._value("Connection: not started", "Starting…")
        self.connection.setWordWrap(True)
        form.addRow("Connection:", self.connection)
        self.last_sync = self._value("Last successful sync: never", "never")
        form.addRow("Last sync:", self.last_sync)
        self.quota = self._value("Quota left this month: unknown", "unknown")
        form.addRow("Quota left:", self.quota)
        self.storage = self._value("Local storage: unknown", "…")
        form.addRow("Local storage:", self.storage)
        self.state: StateChanged | None = None
        self.counts: dict[str, int] = {}

    def _value(self, accessible: str, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setAccessibleName(accessible)
        return label

    def set_counts(self, counts: Mapping[str, int]) -> None:
        self.counts.update(counts)
        for key, title in self.COUNT_KEYS:
            if key in counts:
                value = int(counts[key])
                label = self.count_labels[key]
                label.setText(str(value))
                label.setAccessibleName(f"{title}: {value}")
                if key == "failed":
                    label.setStyleSheet("color: #b3261e; font-weight: bold" if value else "")

    def set_last_sync(self, when: datetime) -> None:
        text = _clock(when)
        self.last_sync.setText(text)
        self.last_sync.setAccessibleName(f"Last successful sync: {text}")

    def set_quota(self, left: int | None, *, note: str = "") -> None:
        text = ("unlimited" if left is None else str(left)) + (f" ({note})" if note else "")
        self.quota.setText(text)
        self.quota.setAccessibleName(f"Quota left this month: {text}")

    def set_storage(self, nbytes: int) -> None:
        text = human_bytes(nbytes)
        self.storage.setText(text)
        self.storage.setAccessibleName(f"Local storage: {text}")

    def set_state(self, event: StateChanged) -> None:
        self.state = event
        text = describe_state(event)
        self.connection.setText(text)
        self.connection.setStyleSheet(f"color: {_STATE_COLOUR[event.state]}; font-weight: bold")
        self.connection.setAccessibleName(f"Connection: {text}")
        if event.last_sync_at is not None:
            self.set_last_sync(event.last_sync_at)
