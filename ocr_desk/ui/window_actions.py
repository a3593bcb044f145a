"""The main window's actions, with their shortcuts, and the toolbar and menus that show
them. Every action is also added to the window, so its shortcut works anywhere in it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["WindowActions", "install_actions"]

Shortcut = str | QKeySequence.StandardKey | None


@dataclass(frozen=True, slots=True)
class WindowActions:
    add: QAction
    paste: QAction
    retry_failed: QAction
    retry: QAction
    cancel: QAction
    delete: QAction
    sync: QAction
    pause: QAction
    export_csv: QAction
    export_json: QAction
    settings: QAction
    find: QAction
    quit: QAction


def install_actions(window: MainWindow) -> WindowActions:
    """Build the window's actions and put them in its toolbar and menus."""

    def action(text: str, shortcut: Shortcut, slot: Callable[..., Any], tip: str) -> QAction:
        made = QAction(text, window)
        if shortcut is not None:
            made.setShortcut(QKeySequence(shortcut))
        made.setToolTip(tip)
        made.setStatusTip(tip)
        made.triggered.connect(slot)
        window.addAction(made)
        return made

    keys = QKeySequence.StandardKey
    acts = WindowActions(
        add=action("&Add files…", keys.Open, window.capture.choose_files, "Add receipt files"),
        paste=action("&Paste", keys.Paste, window.paste, "Capture the clipboard's image"),
        retry_failed=action(
            "Retry &failed", "Ctrl+Shift+R", window.retry_failed, "Retry every failed job"
        ),
        retry=action(
            "&Retry",
            "Ctrl+R",
            lambda: window.act_on_selection("retry"),
            "Retry the selected jobs",
        ),
        cancel=action(
            "&Cancel job",
            "Ctrl+K",
            lambda: window.act_on_selection("cancel"),
            "Cancel the selected jobs",
        ),
        delete=action(
            "&Delete",
            keys.Delete,
            lambda: window.act_on_selection("delete"),
            "Delete the selected jobs",
        ),
        sync=action("&Sync now", "F5", window.sync_now, "Sync with the server now"),
        pause=action(
            "&Pause sync", "Ctrl+P", window.toggle_pause, "Pause sync; captures keep queueing"
        ),
        export_csv=action(
            "Export &CSV…", "Ctrl+E", lambda: window.export("csv"), "Export completed jobs as CSV"
        ),
        export_json=action(
            "Export &JSON…",
            "Ctrl+Shift+E",
            lambda: window.export("json"),
            "Export completed jobs as JSON",
        ),
        settings=action(
            "S&ettings…",
            keys.Preferences,
            window.open_settings,
            "Server, sign-in, watched folder and storage settings",
        ),
        find=action("&Find", keys.Find, window.search.setFocus, "Search jobs"),
        quit=action("&Quit", keys.Quit, window.close, "Quit"),
    )
    acts.pause.setCheckable(True)
    if acts.settings.shortcut().isEmpty():
        acts.settings.setShortcut(QKeySequence("Ctrl+,"))
    _toolbar(window, acts)
    _menus(window, acts)
    return acts


def _toolbar(window: MainWindow, a: WindowActions) -> None:
    bar = QToolBar("Actions", window)
    bar.setObjectName("actions")
    bar.setAccessibleName("Actions")
    groups: Sequence[Sequence[QAction]] = (
        (a.add, a.paste),
        (a.retry_failed, a.retry, a.cancel, a.delete),
        (a.sync, a.pause),
        (a.export_csv, a.export_json),
        (a.settings,),
    )
    for n, group in enumerate(groups):
        if n:
            bar.addSeparator()
        bar.addActions(list(group))
    for item in bar.actions():
        widget = bar.widgetForAction(item)
        if widget is not None and item.text():
            widget.setAccessibleName(item.text().replace("&", "").rstrip("…"))
    window.addToolBar(bar)


def _menus(window: MainWindow, a: WindowActions) -> None:
    menus = window.menuBar()
    for title, items in (
        ("&File", (a.add, a.paste, a.export_csv, a.export_json, a.settings, a.quit)),
        ("&Jobs", (a.retry_failed, a.retry, a.cancel, a.delete, a.find)),
        ("&Sync", (a.sync, a.pause)),
    ):
        menus.addMenu(title).addActions(list(items))
