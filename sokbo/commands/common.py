"""What several subcommands share: opening the store with one line on failure."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import Config
from sokbo.store import Store, store_error


def open_store(config: Config) -> Store | None:
    """The store, or None after saying in one line why it cannot be opened."""
    try:
        return Store.open(config.store)
    except SQLAlchemyError as exc:
        print(f"store: {store_error(exc)}", file=sys.stderr)
        return None
