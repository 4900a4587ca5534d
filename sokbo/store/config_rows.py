"""The configs a central node hands to its crawl nodes: each config text kept once, by
its digest, so that a job names its config by id and a node reads it from the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from sokbo.store.schema import configs, require_aware


@dataclass(frozen=True)
class SavedConfig:
    """A config as the central node read it: its TOML text, and the folder its relative
    paths resolve against there."""

    id: int
    text: str
    base: str


class ConfigRows:
    """Config texts by id, each kept once."""

    engine: Engine

    def save_config(self, text: str, base: str, now: datetime) -> int:
        """The id of this config text (with its folder); saved unless it already is."""
        require_aware(now)
        digest = hashlib.sha256(f"{base}\0{text}".encode()).hexdigest()
        for _attempt in range(2):
            with self.engine.connect() as conn:
                found = conn.execute(select(configs.c.id).where(configs.c.digest == digest))
                known = found.scalar_one_or_none()
            if known is not None:
                return int(known)
            try:
                with self.engine.begin() as conn:
                    values = {"digest": digest, "text": text, "base": base, "saved": now}
                    key = conn.execute(configs.insert().values(**values)).inserted_primary_key
                    assert key is not None
                    return int(key[0])
            except IntegrityError:  # another scheduler saved the same text first
                continue
        raise RuntimeError("a config is neither insertable nor found")

    def saved_config(self, config_id: int) -> SavedConfig | None:
        query = select(configs.c.text, configs.c.base).where(configs.c.id == config_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else SavedConfig(config_id, row.text, row.base)
