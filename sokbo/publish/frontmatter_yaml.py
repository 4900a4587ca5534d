"""YAML front matter in the owner's house style, emitted by PyYAML (never by joining strings)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

# What YAML cannot carry as printable text (YAML 1.1 c-printable, less NEL, which a
# reader turns into a line break). PyYAML would escape these in double quotes, but
# Jekyll's readers and the people who open the files are better served by plain text.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def yaml_safe(text: str) -> str:
    """Remove what YAML cannot carry; `\\r\\n` and `\\r` become `\\n` first."""
    return _NOT_PRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class Folded(str):
    """A string emitted as a folded block scalar (`key: >`)."""


class SingleQuoted(str):
    """A string emitted in single quotes (`key: '...'`)."""


class _Dumper(yaml.SafeDumper):
    # Indent sequences under their key (`categories:\n  - News`), as the posts do.
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _folded(dumper: yaml.SafeDumper, data: Folded) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=">")


def _single(dumper: yaml.SafeDumper, data: SingleQuoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="'")


_Dumper.add_representer(Folded, _folded)
_Dumper.add_representer(SingleQuoted, _single)


def _clean(value: Any) -> Any:
    if isinstance(value, Folded):
        return Folded(yaml_safe(value))
    if isinstance(value, SingleQuoted):
        return SingleQuoted(yaml_safe(value))
    if isinstance(value, str):
        text = yaml_safe(value)
        # Jekyll's YAML reader (Ruby's Psych) loads a plain `:word` as a Symbol and then
        # refuses the whole file; quoted, it stays a string.
        return SingleQuoted(text) if text.startswith(":") else text
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def dump_front_matter(metadata: Mapping[str, Any]) -> str:
    """`---\\n<yaml>---\\n`: keys in the given order, no line folding, Unicode kept.

    A value PyYAML cannot write in the asked style (say, a folded scalar with trailing
    spaces) silently falls back to a quoted style, so every value reads back equal.
    """
    body = yaml.dump(
        {key: _clean(value) for key, value in metadata.items()},
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=2**31 - 1,
        indent=2,
    )
    return f"---\n{body}---\n"
