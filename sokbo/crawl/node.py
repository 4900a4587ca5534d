"""A crawl node's config: the one the central node saved in the store, read by its id.

A job that Scrapyd runs on a crawl node names its config (`-a config_id=N`) instead of a
file: the node has only the package, the store's URL (SOKBO_STORE) and a folder of its
own for crawl state (SOKBO_STATE_DIR). The config reads as on the central node, except
that the store is reached through the node's URL and the state is kept in the node's
folder; the node publishes nothing (the central node writes the posts and feeds).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from sokbo.config import Config, ConfigError, StoreConfig, parse_config
from sokbo.store import Store, StoreMissing, store_error


def node_config(config_id: str, store_url: str | None, state_dir: str) -> Config:
    """The config saved in the store under `config_id`, for this node; ConfigError, its
    message one line, when it cannot be had."""
    try:
        number = int(config_id)
    except ValueError:
        raise ConfigError(f"config_id must be a number, not {config_id!r}") from None
    if not store_url:
        raise ConfigError(
            f"config {number} is read from the store: set SOKBO_STORE (the environment, "
            "or -s SOKBO_STORE=...) to the store's URL as this node reaches it"
        )
    try:
        node_store = StoreConfig.model_validate({"url": store_url})
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise ConfigError(f"SOKBO_STORE: {problem}") from None
    try:
        store = Store(node_store.url, create=False)
        try:
            saved = store.saved_config(number)
        finally:
            store.close()
    except StoreMissing as exc:
        raise ConfigError(f"config {number}: {exc}") from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"config {number}: store: {store_error(exc)}") from None
    if saved is None:
        raise ConfigError(f"config {number} is not in the store (the central node saves it)")
    config = parse_config(saved.text, Path(saved.base), f"config {number} in the store")
    return config.model_copy(
        update={
            "store": config.store.model_copy(update={"url": node_store.url}),
            "crawl": config.crawl.model_copy(update={"state_dir": Path(state_dir).resolve()}),
        }
    )
