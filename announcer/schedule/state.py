"""The last valid station.toml and scripts, kept under ``.state/`` so a broken edit never stops
the station: ``run`` starts on the last valid version and logs the broken one (file and line).

(What aired lives in the player store, ``store.py``.) Copies are written atomically: temp file,
fsync, rename, fsync of the folder.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from announcer.config import STATION_FILE, Station, load_station
from announcer.errors import ConfigError, ScriptError
from announcer.fsutil import atomic_write_bytes
from announcer.script import Script, parse_script

log = logging.getLogger(__name__)

LAST_VALID_STATION = "station.last-valid.toml"
LAST_VALID_SCRIPTS = "scripts.last-valid"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a torn one."""
    atomic_write_bytes(path, data)


def save_last_valid_station(state_dir: Path, source: bytes) -> None:
    path = state_dir / LAST_VALID_STATION
    try:
        if path.exists() and path.read_bytes() == source:
            return
        atomic_write(path, source)
    except OSError as exc:
        log.warning("cannot keep a copy of the valid station.toml in %s: %s", state_dir, exc)


def last_valid_station(state_dir: Path) -> bytes | None:
    try:
        return (state_dir / LAST_VALID_STATION).read_bytes()
    except OSError:
        return None


def load_station_or_last_valid(root: Path) -> tuple[Station, ConfigError | None]:
    """station.toml, or the last valid copy kept under .state/ when it is broken now.

    Raises the ConfigError when neither is usable.
    """
    try:
        station = load_station(root)
    except ConfigError as exc:
        saved = last_valid_station(root / ".state")
        if saved is None:
            raise
        with tempfile.TemporaryDirectory(prefix="announcer-") as tmp:
            (Path(tmp) / STATION_FILE).write_bytes(saved)
            try:
                station = load_station(tmp)
            except ConfigError:
                raise exc from None
        station.root = root
        return station, exc
    try:
        save_last_valid_station(station.state_dir, station.config_path.read_bytes())
    except OSError:
        pass
    return station, None


def save_last_valid_script(state_dir: Path, script: Script) -> None:
    """Keep a copy of a script that parsed, for a start after it was broken by an edit."""
    path = state_dir / LAST_VALID_SCRIPTS / script.path.name
    try:
        source = script.path.read_bytes()
        if path.exists() and path.read_bytes() == source:
            return
        atomic_write(path, source)
    except OSError as exc:
        log.warning("cannot keep a copy of the valid %s in %s: %s", script.path.name, state_dir, exc)


def last_valid_script(state_dir: Path, path: Path) -> Script | None:
    """The last valid version of the script at ``path`` (parsed, with its real path), if any."""
    saved = state_dir / LAST_VALID_SCRIPTS / path.name
    if not saved.is_file():
        return None
    try:
        script = parse_script(saved)
    except ScriptError:
        return None
    except Exception:  # noqa: BLE001 - a parser crash on an old copy must not stop the start
        return None
    script.path = path
    return script
