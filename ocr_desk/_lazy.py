"""Lazy re-exports for a package's ``__init__`` (PEP 562).

A package lists where each public name lives; the submodule is imported the
first time the name is used. So ``import ocr_desk.services.joblist`` (what the
window needs for its first page) does not load Pillow through
``ocr_desk.services.capture``, and ``ocr_desk.sync.events`` does not load httpx,
keyring and cryptography: the desktop app shows its window first and loads the
rest on the threads that use it. Type checkers read the package's
``if TYPE_CHECKING:`` imports instead, so names stay checked.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, where: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``where`` maps submodule -> names."""
    home = {name: module for module, names in where.items() for name in names}

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's name
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*vars(sys.modules[package]), *home})

    return __getattr__, __dir__
