"""Reading a YAML configuration file strictly.

* The file must be UTF-8 text (a UTF-8 byte-order mark is accepted); anything else (latin-1,
  UTF-16, a binary file) is refused with the file name and the fix, never guessed.
* A key given twice in the same mapping is an error naming the key and both lines (YAML 1.2
  forbids it; PyYAML would silently keep the last value).
* Aliases (``*name``) are expanded only up to :data:`MAX_VALUES` values in all: a document whose
  expansion is larger (e.g. the "billion laughs" alias bomb) or recursive is refused at once,
  before anything walks or prints it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from .errors import ConfigError

__all__ = ["MAX_VALUES", "read_yaml"]

#: most values (mappings, lists and scalars, aliases expanded) a configuration may hold
MAX_VALUES = 100_000

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader whose mappings refuse duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            lines: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<: *base' merges a mapping; its keys may be overridden below
                key = self.construct_object(key_node, deep=True)
                try:
                    first = lines.get(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise ConstructorError(
                        None, None,
                        f"duplicate key {_short(key)} (first at line {first}, again at line {line}); "
                        "keep one of them",
                        key_node.start_mark,
                    )
                lines[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path`` as Python objects; ConfigError (naming the file) on any problem."""
    text = _read_text(path)
    try:
        raw = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: the YAML is nested too deeply to read.") from None
    _check_size(raw, path)
    return raw


def _read_text(path: Path) -> str:
    if not path.exists():
        raise ConfigError(f"configuration file not found: {path}")
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; give the path of the YAML configuration file.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror or exc}).") from None
    if data.startswith(_UTF16_BOMS):
        raise ConfigError(f"{path}: the file is UTF-16 text; a configuration must be UTF-8 text. "
                          "Save it again as UTF-8 (e.g. 'UTF-8' in the editor's encoding menu).")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line} is not valid UTF-8); a configuration "
            "must be UTF-8 text (a byte-order mark is accepted). If it was saved as latin-1 / Windows-1252, save it "
            "again as UTF-8; if it is not a YAML file, give the configuration file instead."
        ) from None


def _check_size(raw: Any, path: Path) -> None:
    """Refuse a document of more than MAX_VALUES values once aliases are expanded (or a recursive one)."""
    count = 0
    stack: list[tuple[Any, str]] = [(raw, "")]
    while stack:
        value, where = stack.pop()
        count += 1
        if count > MAX_VALUES:
            at = f" (at {where})" if where else ""
            raise ConfigError(
                f"{path}: the configuration holds more than {MAX_VALUES:,} values once its aliases (*name) are "
                f"expanded{at}; it is too large or refers to itself. Use each anchor (&name) for a short list only."
            )
        if isinstance(value, dict):
            stack.extend((v, _join(where, f".{str(k)[:40]}")) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, _join(where, f"[{i}]")) for i, v in enumerate(value))


def _join(where: str, step: str) -> str:
    if len(where) > 200:
        return where
    return (where + step).lstrip(".")


def _short(key: Any) -> str:
    text = repr(key) if isinstance(key, str) else str(key)
    return text if len(text) <= 60 else text[:57] + "..."
