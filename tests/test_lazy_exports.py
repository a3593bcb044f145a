"""Lazy re-exports (ocr_desk/_lazy.py): every public name resolves, light modules stay light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PACKAGES = ["ocr_desk.services", "ocr_desk.media", "ocr_desk.sync"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves_to_its_submodules_object(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        home = sys.modules.get(getattr(value, "__module__", "") or "")
        if home is not None and hasattr(home, name):
            assert getattr(home, name) is value, f"{package}.{name}"
        assert name in dir(module)


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    module = importlib.import_module(package)
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018 - the lookup is the test


@pytest.mark.parametrize(
    ("module", "heavy"),
    [
        # what the desktop window needs for its first page
        ("ocr_desk.services.joblist", ("PIL", "ocr_desk.services.capture")),
        ("ocr_desk.app", ("PIL", "httpx", "keyring", "ocr_desk.media.library")),
        ("ocr_desk.sync.events", ("httpx", "keyring", "cryptography")),
        # `ocr-desk` with no command imports the CLI before it opens the window
        ("ocr_desk.cli", ("PIL", "httpx", "keyring", "cryptography")),
    ],
)
def test_light_modules_do_not_load_heavy_ones(module: str, heavy: tuple[str, ...]) -> None:
    code = (
        f"import sys, {module}; "
        f"loaded = [m for m in {heavy!r} if m in sys.modules]; "
        "print(loaded); sys.exit(bool(loaded))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{module} loaded {done.stdout.strip()} {done.stderr}"
