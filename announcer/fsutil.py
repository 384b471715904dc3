"""Durable file writes: the one way announcer puts a file in place.

A rename alone is atomic but not durable: after a power cut the new name can
point at a file whose data never reached the disk (an empty MP3 under a valid
manifest). So every write goes: temp file in the same folder -> flush -> fsync
the file -> rename over the target -> fsync the folder (which makes the rename
itself survive). Readers see the old file or the new one, never a torn one.

Windows cannot open a folder to fsync it; NTFS journals the rename, so that step
is skipped there. Filesystems that refuse fsync on a folder are tolerated too.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Force a written file's data to disk (it was written by someone else, e.g. ffmpeg)."""
    # Windows' fsync (_commit) needs a handle open for writing; POSIX is fine with read-only.
    flags = os.O_RDWR if os.name == "nt" else os.O_RDONLY
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make renames and creations inside ``folder`` durable (no-op where impossible)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (e.g. certain network mounts) refuse fsync on a folder
    finally:
        os.close(fd)


def temp_path_for(path: Path) -> Path:
    """A fresh hidden temp name beside ``path`` (same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def replace_durably(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Publish an already-written file ``src`` as ``dst``: fsync it, rename, fsync the folder(s).

    ``src`` must be on the same filesystem as ``dst`` (a temp or staging folder beside it).
    """
    src, dst = Path(src), Path(dst)
    fsync_file(src)
    os.replace(src, dst)
    fsync_dir(dst.parent)
    if src.parent.resolve() != dst.parent.resolve():
        fsync_dir(src.parent)  # the name left the staging folder; make that stick too


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and durably. Creates the folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    # 0o666 minus the umask, as an ordinary open() would give (mkstemp's 0600 would hide
    # renders from a player running as another user).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """``atomic_write_bytes`` for text; newlines are written as given (no platform translation)."""
    atomic_write_bytes(path, text.encode(encoding))
