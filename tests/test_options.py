"""``AliasOptions`` (``options.py``): one key per option of ``AliasConfig``, and mypy uses it: the suite's own
settings (annotated with it) type-check, and a misspelt option or a wrong value is an error."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from django_pingone_authorize.conf import DEFAULTS
from django_pingone_authorize.options import AliasOptions

ROOT = Path(__file__).resolve().parents[1]

api = pytest.importorskip("mypy.api")


def test_every_option_has_a_key() -> None:
    assert set(AliasOptions.__annotations__) == set(DEFAULTS)
    assert AliasOptions.__total__ is False


def mypy(tmp_path: Path, *files: str) -> tuple[str, int]:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nfollow_imports = silent\n")
    out, err, status = api.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), "--no-incremental", *files]
    )
    return out + err, status


def test_the_suites_settings_type_check(tmp_path: Path) -> None:
    out, status = mypy(tmp_path, str(ROOT / "tests" / "settings.py"))
    assert status == 0, out


def test_mistakes_are_caught(tmp_path: Path) -> None:
    bad = tmp_path / "bad_settings.py"
    bad.write_text(
        "from django_pingone_authorize.options import AliasOptions\n\n"
        "PINGONE_AUTHORIZE: dict[str, AliasOptions] = {\n"
        '    "default": {"CLIENT_ID": "c", "STORE_TOKEN": True},\n'
        '    "other": {"METHOD": "PUT", "LEEWAY": "60"},\n'
        "}\n"
    )
    out, status = mypy(tmp_path, str(bad))
    assert status == 1
    assert '"STORE_TOKEN"' in out  # the misspelt key
    assert '"METHOD"' in out and '"LEEWAY"' in out


def test_type_hints_resolve() -> None:
    hints = typing.get_type_hints(AliasOptions)
    assert hints["STORE_TOKENS"] is bool
