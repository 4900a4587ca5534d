"""The store a test runs against: SQLite in its folder, and PostgreSQL (marked) as well.

tests/conftest.py offers both fixtures to every test: ask for `store`, or for `db_url` to
open stores yourself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sokbo.store import Store

__all__ = ["db_url", "store"]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'sokbo.db'}"
    url: str = request.getfixturevalue("postgres_db")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store(db_url)
    try:
        yield opened
    finally:
        opened.close()
