"""A config's validation errors as a person reads them: one line per problem, naming the
file, the entry and the field (`sokbo.toml: source 'yna': schedule: ...`), with the
nearest known key for an unknown one."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError


def describe_errors(
    path: str | Path, raw: dict[str, Any], exc: ValidationError, root: type[BaseModel]
) -> str:
    """One line per problem: `file: source 'yna': schedule: not a cron expression`."""
    errors = exc.errors()
    # A misspelt required key is one mistake, not two: `start_url` stands for `start_urls`.
    meant = {
        (*error["loc"][:-1], name)
        for error in errors
        if error["type"] == "extra_forbidden" and (name := _meant_key(root, error["loc"]))
    }
    lines = []
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) in meant:
            continue
        loc = list(error["loc"])
        where: list[str] = []
        if loc and loc[0] in ("site", "source") and len(loc) > 1 and isinstance(loc[1], int):
            kind, index = str(loc[0]), loc[1]
            entries = raw.get(kind)
            entry_id = None
            if isinstance(entries, list) and index < len(entries):
                entry = entries[index]
                if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    entry_id = entry["id"]
            where.append(f"{kind} '{entry_id}'" if entry_id else f"{kind} #{index + 1}")
            loc = loc[2:]
        elif len(loc) > 1 and loc[0] in ("store", "crawl", "schedule", "cluster", "push"):
            where.append(str(loc[0]))  # the table is the entry: `store: url: ...`
            loc = loc[1:]
        # Annotated validators add their function name to the location; hide it.
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        if field:
            where.append(field)
        lines.append(": ".join([str(path), *where, _message(root, error)]))
    return "\n".join(lines)


def _message(root: type[BaseModel], error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        name = _meant_key(root, error["loc"])
        return f"unknown key (did you mean {name!r}?)" if name else "unknown key"
    if kind == "missing":
        return "required but missing"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _meant_key(root: type[BaseModel], loc: tuple[str | int, ...]) -> str | None:
    """The known key nearest to the unknown one at `loc` (`start_url` -> `start_urls`)."""
    *parents, key = loc
    model: type[BaseModel] | None = root
    for part in parents:
        if isinstance(part, str) and model is not None:
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field else None
    if model is None or not isinstance(key, str):
        return None
    close = difflib.get_close_matches(key, list(model.model_fields), n=1)
    return close[0] if close else None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds: `Selectors`, `list[SiteConfig]`, `LinkRules | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        model = _model_in(argument)
        if model is not None:
            return model
    return None
