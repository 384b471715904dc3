"""The player's memory in one SQLite database (``.state/player.db``): what aired, what is on air,
the hand-over inbox and the as-run log.

Threads: one ``PlayerStore`` is shared by the loop thread (misses, hand-overs, heartbeat), the
playback worker (start and end of each item) and ``announcer play`` in other processes. The
store owns its connection and serialises every use of it with ``_lock``; nothing else touches it.

Why SQLite: each change is one transaction (WAL, ``synchronous=FULL``), so taking a hand-over and
recording it started, or ending an item and writing its as-run line, can never be half done by a
crash or a power cut.

Airing beats bookkeeping: when a write fails (disk full, read-only folder), the change is kept
in memory, appended to a fallback journal outside ``.state`` (in the temp folder) and retried on
every ``flush()``; the caller is told whether the record is durable (database or journal), so it
can decide what may air (see ``announcer.schedule.player``). The journal is replayed into the
database on the next successful open or flush.

An older station's ``.state/aired.json``, ``asrun.jsonl`` and ``.state/inbox/*.json`` are
imported on the first open (one transaction); the old files are then renamed ``*.migrated``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DB_FILE = "player.db"
STARTED = "started"
MIGRATED_SUFFIX = ".migrated"

RECORDED, UNRECORDED, JOURNALED, ALREADY = "recorded", "unrecorded", "journaled", "already"
"""Outcomes of ``start``: in the database; nowhere durable; only in the fallback journal; handled before."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS aired (key TEXT PRIMARY KEY, status TEXT NOT NULL, scheduled TEXT, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS asrun (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
                                  record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (ident TEXT PRIMARY KEY, request TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT);
"""

Op = tuple[str, dict[str, Any]]
"""('start'|'finish'|'take'|'meta', fields): one change, as kept in memory and in the journal."""


def default_fallback_dir(state_dir: Path) -> Path:
    """Per station, outside the station folder (another disk, or RAM, on most boxes)."""
    digest = hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "announcer-journal" / digest


class PlayerStore:
    def __init__(
        self,
        state_dir: Path,
        *,
        legacy_asrun: Path | None = None,
        fallback_dir: Path | None = None,
        connect: Any = sqlite3.connect,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / DB_FILE
        self.legacy_asrun = legacy_asrun
        self.journal = (fallback_dir or default_fallback_dir(self.state_dir)) / "journal.jsonl"
        self._connect = connect
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._ro: sqlite3.Connection | None = None
        self._id: str | None = None
        self._pending: list[Op] = []
        """Changes not yet in the database, oldest first (also in the journal when it could be written)."""
        self.last_failure: str | None = None

    # --- opening -----------------------------------------------------------------------------------------

    def open(self) -> bool:
        """Connect, migrate and replay the journal; False (logged) when the database cannot be written now."""
        with self._lock:
            if self._db is not None:
                return True
            try:
                self.state_dir.mkdir(parents=True, exist_ok=True)
                db = self._connect(str(self.path), timeout=10, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                # Keep the WAL small (a box with little disk left, an SD card): checkpoint every
                # ~400 KB and give the space back afterwards.
                db.execute("PRAGMA wal_autocheckpoint=100")
                db.execute("PRAGMA journal_size_limit=1048576")
                db.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                self._fail(f"cannot open {self.path}: {exc}")
                self._open_for_reading()
                return False
            self._db = db
            try:
                self._identify(db)
                self._migrate(db)
            except (OSError, sqlite3.Error) as exc:
                self._fail(f"cannot import the old state files into {self.path}: {exc}")
            self._replay_journal()
            return True

    def _open_for_reading(self) -> None:
        """A read-only folder: still know what aired (a restart must not replay it)."""
        if self._ro is not None or not self.path.exists():
            return
        for query in ("mode=ro", "immutable=1"):
            try:
                ro = sqlite3.connect(f"{self.path.resolve().as_uri()}?{query}", uri=True, check_same_thread=False)
                ro.execute("SELECT count(*) FROM aired").fetchone()
            except sqlite3.Error:
                continue
            self._ro = ro
            log.warning("reading %s without writing to it (%s)", self.path, query)
            return

    def close(self) -> None:
        with self._lock:
            if self._ro is not None:
                self._ro.close()
                self._ro = None
            if self._db is not None:
                try:
                    self._db.close()
                except sqlite3.Error:
                    pass
                self._db = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; raises OSError/sqlite3.Error (rolled back) when it cannot commit."""
        if self._db is None and not self.open():
            raise sqlite3.OperationalError(self.last_failure or "the player database is not open")
        db = self._db
        assert db is not None
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        db.execute("COMMIT")

    def _fail(self, message: str) -> None:
        if message != self.last_failure:
            log.critical("PLAYER RECORDS NOT SAVED: %s; playback goes on, the records are retried", message)
        self.last_failure = message

    def _identify(self, db: sqlite3.Connection) -> None:
        """A random id per database: a journal left by another database (a deleted .state) is ignored."""
        row = db.execute("SELECT value FROM meta WHERE name='id'").fetchone()
        if row is None:
            with self._tx() as tx:
                tx.execute("INSERT OR IGNORE INTO meta VALUES ('id', ?)", (uuid.uuid4().hex,))
            row = db.execute("SELECT value FROM meta WHERE name='id'").fetchone()
        self._id = str(row[0])

    # --- migration ---------------------------------------------------------------------------------------

    def _migrate(self, db: sqlite3.Connection) -> None:
        done = db.execute("SELECT value FROM meta WHERE name='migrated'").fetchone()
        legacy = [self.state_dir / "aired.json", self.state_dir / "inbox"]
        if self.legacy_asrun is not None:
            legacy.append(self.legacy_asrun)
        if done is None:
            aired = _legacy_aired(self.state_dir / "aired.json")
            lines = _legacy_asrun(self.legacy_asrun) if self.legacy_asrun is not None else []
            requests = _legacy_inbox(self.state_dir / "inbox")
            with self._tx() as tx:
                for key, record in aired.items():
                    tx.execute(
                        "INSERT OR IGNORE INTO aired VALUES (?, ?, ?, ?)",
                        (key, str(record.get("status")), record.get("scheduled"), _dump(record)),
                    )
                for number, record in enumerate(lines, 1):
                    tx.execute("INSERT OR IGNORE INTO asrun (key, record) VALUES (?, ?)",
                               (f"migrated:{number}", _dump(record)))
                for ident, data in requests:
                    tx.execute("INSERT OR IGNORE INTO inbox VALUES (?, ?)", (ident, _dump(data)))
                tx.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', '1')")
            if aired or lines or requests:
                log.warning(
                    "imported %d aired item(s), %d as-run record(s) and %d hand-over(s) into %s",
                    len(aired), len(lines), len(requests), self.path,
                )
        # Only after the import committed: the old files are kept, renamed, never deleted.
        for path in legacy:
            if path.is_dir():
                for request in path.glob("*.json"):
                    request.unlink(missing_ok=True)
            elif path.exists():
                os.replace(path, path.with_name(path.name + MIGRATED_SUFFIX))

    # --- writing -----------------------------------------------------------------------------------------

    def _apply(self, tx: sqlite3.Connection, op: Op) -> None:
        kind, f = op
        if kind == "start":
            if f.get("take"):
                tx.execute("DELETE FROM inbox WHERE ident=?", (f["take"],))
            tx.execute(
                "INSERT OR IGNORE INTO aired VALUES (?, ?, ?, ?)",
                (f["key"], STARTED, f["record"].get("scheduled"), _dump({**f["record"], "status": STARTED})),
            )
        elif kind == "finish":
            if f.get("take"):
                tx.execute("DELETE FROM inbox WHERE ident=?", (f["take"],))
            record = f["record"]
            tx.execute(
                "INSERT OR REPLACE INTO aired VALUES (?, ?, ?, ?)",
                (f["key"], record["status"], record.get("scheduled"), _dump(record)),
            )
            tx.execute("INSERT OR IGNORE INTO asrun (key, record) VALUES (?, ?)", (f["key"], _dump(record)))
        elif kind == "meta":
            tx.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f["name"], f["value"]))

    def _write(self, ops: list[Op], *, retry: bool = False) -> str:
        """Apply ``ops`` (after anything still pending) in one transaction; RECORDED, JOURNALED or UNRECORDED.

        While records are pending, new ones join them at once (journal only); ``flush`` retries the
        database, so an item never waits for a failing disk before it airs.
        """
        with self._lock:
            if self._pending and not retry:
                self._pending.extend(ops)
                return JOURNALED if self._journal(ops) else UNRECORDED
            try:
                with self._tx() as tx:
                    for op in self._pending + ops:
                        self._apply(tx, op)
            except (OSError, sqlite3.Error) as exc:
                self._fail(f"{self.path}: {exc}")
                self._pending.extend(ops)
                return JOURNALED if self._journal(ops) else UNRECORDED
            if self._pending:
                log.warning("%d delayed player record(s) saved in %s", len(self._pending), self.path)
                self._pending.clear()
                self._clear_journal()
            if self.last_failure is not None:
                log.warning("player records are saved again in %s", self.path)
                self.last_failure = None
            return RECORDED

    def _journal(self, ops: list[Op]) -> bool:
        try:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with open(self.journal, "a", encoding="utf-8") as handle:
                for kind, fields in ops:
                    handle.write(json.dumps([kind, fields, self._id], ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            return True
        except OSError as exc:
            log.critical("cannot write the fallback journal %s either: %s", self.journal, exc)
            return False

    def _clear_journal(self) -> None:
        try:
            self.journal.unlink(missing_ok=True)
        except OSError:
            pass

    def _replay_journal(self) -> None:
        try:
            text = self.journal.read_text(encoding="utf-8")
        except OSError:
            return
        ops: list[Op] = []
        for line in text.splitlines():
            try:
                kind, fields, owner = json.loads(line)
            except (ValueError, TypeError):
                continue  # a torn last line: that change never took effect
            if owner is None or owner == self._id:
                ops.append((str(kind), dict(fields)))
        known = {json.dumps(op, sort_keys=True) for op in self._pending}
        self._pending.extend(op for op in ops if json.dumps(op, sort_keys=True) not in known)
        if self._pending and self._write([], retry=True) == RECORDED:
            log.warning("replayed the fallback journal %s", self.journal)
        elif not self._pending:
            self._clear_journal()

    def flush(self) -> bool:
        """Retry what could not be written; True when nothing is pending any more."""
        with self._lock:
            if not self._pending:
                return True
            if self._write([], retry=True) == RECORDED:
                return True
            if self._db is not None:  # the WAL itself may be what fills the disk: give its space back
                try:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:
                    return False
                return self._write([], retry=True) == RECORDED
            return False

    def start(self, key: str, record: dict[str, Any], *, take: str | None = None) -> str:
        """Record ``key`` as on air (and take hand-over ``take`` from the inbox), before it airs.

        ALREADY when it was handled before; else RECORDED, JOURNALED or UNRECORDED.
        """
        with self._lock:
            if self.handled(key):
                return ALREADY
            return self._write([("start", {"key": key, "record": record, "take": take})])

    def finish(self, key: str, record: dict[str, Any], *, take: str | None = None) -> str:
        """The end of an item: its final status and its as-run line, in one transaction."""
        return self.finish_many([(key, record)], take=take)

    def finish_many(self, items: Iterable[tuple[str, dict[str, Any]]], *, take: str | None = None) -> str:
        ops: list[Op] = [("finish", {"key": k, "record": r, "take": take}) for k, r in items]
        return self._write(ops) if ops else RECORDED

    def set_meta(self, name: str, value: str) -> None:
        self._write([("meta", {"name": name, "value": value})])

    # --- reading -----------------------------------------------------------------------------------------

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._db is None and not self.open() and self._ro is None:
                return []
            db = self._db or self._ro
            assert db is not None
            try:
                return list(db.execute(sql, args).fetchall())
            except sqlite3.Error as exc:
                log.error("cannot read %s: %s", self.path, exc)
                return []

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            for kind, fields in reversed(self._pending):
                if kind == "finish" and fields["key"] == key:
                    return dict(fields["record"])
                if kind == "start" and fields["key"] == key:
                    return {**fields["record"], "status": STARTED}
            return self._db_get(key)

    def handled(self, key: str) -> bool:
        return self.get(key) is not None

    def taken(self, ident: str) -> bool:
        with self._lock:
            return any(f.get("take") == ident for _, f in self._pending)

    def _db_get(self, key: str) -> dict[str, Any] | None:
        rows = self._query("SELECT record FROM aired WHERE key=?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def unfinished(self) -> list[tuple[str, dict[str, Any]]]:
        """Items recorded on air that never got an end (the player stopped or crashed mid-item)."""
        with self._lock:
            rows = self._query("SELECT key, record FROM aired WHERE status=?", (STARTED,))
            found = {k: json.loads(r) for k, r in rows}
            for kind, fields in self._pending:
                if kind == "start" and self._db_get(fields["key"]) is None:
                    found[fields["key"]] = {**fields["record"], "status": STARTED}
                elif kind == "finish":
                    found.pop(fields["key"], None)
            return list(found.items())

    def get_meta(self, name: str) -> str | None:
        with self._lock:
            for kind, fields in reversed(self._pending):
                if kind == "meta" and fields["name"] == name:
                    return str(fields["value"])
            rows = self._query("SELECT value FROM meta WHERE name=?", (name,))
            return rows[0][0] if rows else None

    def asrun_records(self) -> list[dict[str, Any]]:
        """The as-run log in the order it was written (records still pending come last)."""
        with self._lock:
            out = [json.loads(r) for (r,) in self._query("SELECT record FROM asrun ORDER BY id")]
            out.extend(dict(f["record"]) for kind, f in self._pending if kind == "finish")
            return out

    def aired_records(self) -> dict[str, dict[str, Any]]:
        return {k: json.loads(r) for k, r in self._query("SELECT key, record FROM aired")}

    def prune(self, before: datetime) -> int:
        """Forget aired items scheduled before ``before`` (the as-run log keeps everything)."""
        old = []
        for key, scheduled in self._query("SELECT key, scheduled FROM aired"):
            try:
                if datetime.fromisoformat(str(scheduled)) < before:
                    old.append(key)
            except ValueError:
                continue
        if old:
            with self._lock:
                try:
                    with self._tx() as tx:
                        tx.executemany("DELETE FROM aired WHERE key=?", [(k,) for k in old])
                except (OSError, sqlite3.Error) as exc:
                    log.warning("cannot prune %s: %s", self.path, exc)
                    return 0
        return len(old)

    # --- the hand-over inbox -----------------------------------------------------------------------------

    def put_request(self, ident: str, data: dict[str, Any]) -> None:
        """Hand an item over (``announcer play``); raises OSError/sqlite3.Error when it cannot be saved."""
        with self._lock, self._tx() as tx:
            tx.execute("INSERT INTO inbox VALUES (?, ?)", (ident, _dump(data)))

    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        """Hand-overs not yet taken, oldest first."""
        rows = self._query("SELECT ident, request FROM inbox ORDER BY ident")
        return [(ident, json.loads(data)) for ident, data in rows if not self.taken(ident)]

    def drop_request(self, ident: str) -> None:
        """Set aside a hand-over that is not a request at all."""
        with self._lock:
            try:
                with self._tx() as tx:
                    tx.execute("DELETE FROM inbox WHERE ident=?", (ident,))
            except (OSError, sqlite3.Error) as exc:
                log.error("cannot drop the request %s: %s", ident, exc)


def _dump(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def _legacy_aired(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    items = data.get("items") if isinstance(data, dict) else None
    return {str(k): v for k, v in items.items() if isinstance(v, dict)} if isinstance(items, dict) else {}


def read_asrun_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every record of an old-style ``asrun.jsonl``, skipping (and warning about) damaged lines;
    none when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("%s:%d: damaged as-run record skipped (the file is kept)", path, number)
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def _legacy_asrun(path: Path) -> list[dict[str, Any]]:
    try:
        return read_asrun_jsonl(path)
    except OSError as exc:
        log.warning("%s: the old as-run log cannot be read (%s); it is not imported (the file is kept)",
                    path, exc.strerror)
        return []


def _legacy_inbox(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            try:
                os.replace(path, path.with_suffix(".bad"))
            except OSError:
                pass
            continue
        if isinstance(data, dict):
            out.append((path.stem, data))
    return out
