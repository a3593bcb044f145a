"""Settings and sign-in. Values go to ``settings.json`` through the AppContext (written
off the UI thread); the token goes to the keyring, never into the settings file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ocr_desk.core import JobType
from ocr_desk.settings import Settings
from ocr_desk.store import Store

from . import backend
from .tasks import TaskRunner

__all__ = ["SettingsDialog"]


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``sig_saved`` carries the new frozen Settings."""

    sig_saved = Signal(object)
    sig_signed_in = Signal(str)
    sig_signed_out = Signal()
    sig_failed = Signal(str)

    def __init__(
        self,
        *,
        settings: Settings,
        runner: TaskRunner,
        save: Callable[[Settings], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("OCR Desk settings")
        self.setAccessibleName("Settings")
        self._settings = settings
        self._runner = runner
        self._save = save

        server = QGroupBox("&Server and account", self)
        sform = QFormLayout(server)
        self.server_url = QLineEdit(settings.server_url or "", server)
        self.server_url.setPlaceholderText("empty: the local server on this computer")
        self.server_url.setAccessibleName("Server URL")
        sform.addRow("Server &URL:", self.server_url)
        self.email = QLineEdit(server)
        self.email.setAccessibleName("Email")
        sform.addRow("&Email:", self.email)
        self.password = QLineEdit(server)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        sform.addRow("&Password:", self.password)
        buttons = QHBoxLayout()
        self.sign_in = QPushButton("Sign &in", server)
        self.sign_in.setAccessibleName("Sign in")
        self.sign_out = QPushButton("Sign &out", server)
        self.sign_out.setAccessibleName("Sign out")
        buttons.addWidget(self.sign_in)
        buttons.addWidget(self.sign_out)
        buttons.addStretch(1)
        sform.addRow(buttons)
        self.account = QLabel("", server)
        self.account.setWordWrap(True)
        self.account.setAccessibleName("Account status")
        sform.addRow(self.account)
        self.sign_in.clicked.connect(self._on_sign_in)
        self.sign_out.clicked.connect(self._on_sign_out)

        capture = QGroupBox("&Capture and storage", self)
        cform = QFormLayout(capture)
        self.job_type = QComboBox(capture)
        for kind in JobType:
            self.job_type.addItem(kind.value.capitalize(), kind.value)
        self.job_type.setCurrentIndex(max(0, self.job_type.findData(settings.default_job_type)))
        self.job_type.setAccessibleName("Default document type")
        cform.addRow("Default &document type:", self.job_type)
        folder_row = QHBoxLayout()
        self.watched = QLineEdit(settings.watched_folder or "", capture)
        self.watched.setPlaceholderText("none")
        self.watched.setAccessibleName("Watched folder")
        self.browse = QPushButton("&Browse…", capture)
        self.browse.setAccessibleName("Choose the watched folder")
        self.browse.clicked.connect(self._on_browse)
        folder_row.addWidget(self.watched, 1)
        folder_row.addWidget(self.browse)
        watched_label = QLabel("&Watched folder:", capture)
        watched_label.setBuddy(self.watched)
        cform.addRow(watched_label, folder_row)
        self.delete_after = QCheckBox("Delete images after a successful &OCR", capture)
        self.delete_after.setChecked(settings.delete_after_ocr)
        self.delete_after.setAccessibleName("Delete images after a successful OCR")
        cform.addRow(self.delete_after)
        self.keep_forever = QCheckBox("&Keep images for good", capture)
        self.keep_forever.setAccessibleName("Keep images for good")
        self.retention = QSpinBox(capture)
        self.retention.setRange(1, 3650)
        self.retention.setSuffix(" days")
        self.retention.setAccessibleName("Retention in days")
        self.retention.setValue(settings.retention_days or 90)
        self.keep_forever.setChecked(settings.retention_days is None)
        self.retention.setEnabled(settings.retention_days is not None)
        self.keep_forever.toggled.connect(lambda on: self.retention.setEnabled(not on))
        cform.addRow("&Retention:", self.retention)
        cform.addRow(self.keep_forever)

        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #b3261e")
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Settings error")
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        box.accepted.connect(self._on_save)
        box.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(server)
        layout.addWidget(capture)
        layout.addWidget(self.error)
        layout.addWidget(box)
        self._refresh_account()

    # -- values -----------------------------------------------------------------------

    def values(self) -> Settings:
        """The settings as edited (validated; raises ValueError with a readable message)."""
        url = self.server_url.text().strip() or None
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(
                "The server URL must start with https:// (or http:// on this computer)."
            )
        return self._settings.with_changes(
            server_url=url,
            default_job_type=str(self.job_type.currentData()),
            watched_folder=self.watched.text().strip() or None,
            delete_after_ocr=self.delete_after.isChecked(),
            retention_days=None if self.keep_forever.isChecked() else self.retention.value(),
        )

    def _on_save(self) -> None:
        try:
            settings = self.values()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self._save(settings)
        self.sig_saved.emit(settings)
        self.accept()

    def _on_browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Watched folder", self.watched.text())
        if folder:
            self.watched.setText(folder)

    # -- account ----------------------------------------------------------------------

    def _refresh_account(self) -> None:
        url = self.server_url.text().strip()
        if not url:
            self.account.setText("Local mode: this computer runs its own OCR server.")
            return

        def check(_store: Store, _progress: Any) -> bool:
            return backend.has_token(url)

        self._runner.run(
            check,
            on_done=lambda ok: self.account.setText(
                f"Signed in to {url}." if ok else f"Not signed in to {url}."
            ),
            on_failed=lambda exc: self.account.setText(str(exc)),
        )

    def _on_sign_in(self) -> None:
        url = self.server_url.text().strip()
        email = self.email.text().strip()
        password = self.password.text()
        if not url or not email or not password:
            self.error.setText("Enter the server URL, your email and your password to sign in.")
            return
        self.sign_in.setEnabled(False)
        self.account.setText(f"Signing in to {url}…")

        def work(_store: Store, _progress: Any) -> str:
            return backend.sign_in(server_url=url, email=email, password=password)

        def done(who: str) -> None:
            self.sign_in.setEnabled(True)
            self.password.clear()
            self.account.setText(f"Signed in to {url} as {who}.")
            self.error.setText("")
            self.sig_signed_in.emit(url)

        def failed(exc: BaseException) -> None:
            self.sign_in.setEnabled(True)
            self.account.setText(f"Not signed in to {url}.")
            self.error.setText(getattr(exc, "message", None) or str(exc))
            self.sig_failed.emit(self.error.text())

        self._runner.run(work, on_done=done, on_failed=failed)

    def _on_sign_out(self) -> None:
        url = self.server_url.text().strip()
        if not url:
            return

        def work(_store: Store, _progress: Any) -> bool:
            return backend.sign_out(url)

        def done(_: bool) -> None:
            self.account.setText(f"Signed out of {url}; the token was removed from the keyring.")
            self.sig_signed_out.emit()

        self._runner.run(work, on_done=done, on_failed=lambda e: self.error.setText(str(e)))
