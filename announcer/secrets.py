"""Service keys: from the environment, else from the station's ``secrets.toml`` (kept out of git).

A key is returned to the engine that needs it and to nobody else: no message of this
module quotes a value, and the engines keep the key out of fingerprints, manifests,
logs and error messages (tests scan every file a build writes).

secrets.toml::

    [fpt]
    key = "..."

    [viettel]
    key = "..."
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from announcer.errors import ConfigError
from announcer.i18n import _

SECRETS_FILE = "secrets.toml"
MAX_SECRETS_BYTES = 64_000


@dataclass(frozen=True)
class Key:
    value: str
    source: str
    """Where it came from, for messages: the variable's name or secrets.toml (never the value)."""


def read_key(root: Path, service: str, env_name: str, environ: Mapping[str, str] | None = None) -> Key | None:
    """The key of ``service`` ([service] key = ... in secrets.toml) or None when there is none.

    The environment variable ``env_name`` wins. Raises ConfigError naming secrets.toml and
    the line when the file cannot be read (never quoting it).
    """
    env = os.environ if environ is None else environ
    value = (env.get(env_name) or "").strip()
    if value:
        return Key(value, env_name)
    path = root / SECRETS_FILE
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_SECRETS_BYTES:
            raise ConfigError(_("secrets.toml is too large for a key file"), file=path,
                              hint=_("keep only the keys in it"))
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(_("secrets.toml is not UTF-8 text"), file=path, hint=_("save it as UTF-8")) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names the position only, never the text around it.
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(_("secrets.toml is not valid TOML"), file=path, line=int(match.group(1)) if match else None,
                          hint=_('write it as [{service}] then key = "..." on the next line',
                                 service=service)) from None
    except OSError as exc:
        raise ConfigError(_("cannot read secrets.toml: {reason}", reason=exc.strerror), file=path) from None
    table = data.get(service)
    if table is None:
        return None
    line = _line_of(path, service)
    if not isinstance(table, dict) or not isinstance(table.get("key", ""), str):
        raise ConfigError(_('[{service}] in secrets.toml must hold key = "..." (text in quotes)', service=service),
                          file=path, line=line,
                          hint=_('write [{service}] then key = "..." on the next line', service=service))
    value = str(table.get("key", "")).strip()
    return Key(value, SECRETS_FILE) if value else None


def _line_of(path: Path, service: str) -> int | None:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            if re.match(rf"^\s*\[\s*{re.escape(service)}\s*\]", line):
                return number
    except OSError:
        return None
    return None
