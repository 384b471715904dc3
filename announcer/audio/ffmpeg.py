"""Where ffmpeg lives, running it with a time limit, and pointing pydub at it.

imageio-ffmpeg ships an ffmpeg binary for every platform (but no ffprobe), so pydub
must always be told the format/codec of what it decodes. Nothing happens at import
time; the first call looks the binary up and caches it.

Every ffmpeg run goes through ``run_ffmpeg_process``: it has a timeout, drains
stderr while running, and is killed when the program is interrupted (announcer.procs).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from typing import Any

from announcer import procs
from announcer.errors import RenderError

log = logging.getLogger(__name__)

_lock = threading.Lock()
_exe: str | None = None
_pydub_configured = False


def ffmpeg_exe() -> str:
    """Path of the ffmpeg executable: $ANNOUNCER_FFMPEG, imageio-ffmpeg's binary, or ffmpeg on PATH."""
    global _exe
    with _lock:
        if _exe is None:
            _exe = _find_ffmpeg()
            log.debug("using ffmpeg at %s", _exe)
        return _exe


def encoder_identity() -> str:
    """Which ffmpeg encodes: its file name, size and modification time (another version or
    build of ffmpeg is another file; reading its version would cost a run of it)."""
    exe = ffmpeg_exe()
    try:
        info = os.stat(exe)
    except OSError:
        return exe
    return f"{os.path.basename(exe)}:{info.st_size}:{info.st_mtime_ns}"


FFMPEG_TIMEOUT_S = 900.0
"""Longest any single ffmpeg run may take (a long program mastered on a slow box takes a few
minutes); past it ffmpeg is taken to be hung, and is killed."""


def run_ffmpeg_process(cmd: Sequence[str], what: str, *, timeout: float = FFMPEG_TIMEOUT_S,
                       input: bytes | None = None, text: bool = False) -> subprocess.CompletedProcess[Any]:
    """Run an ffmpeg command line to completion, output captured (decoded as UTF-8 if ``text``).

    Raises RenderError when it runs past ``timeout`` (it is killed first). The exit status is
    the caller's to judge.
    """
    try:
        done = procs.run(cmd, timeout=timeout, input=input)
    except procs.ChildTimeout:
        raise RenderError(f"{what}: ffmpeg did not finish within {timeout:.0f} s and was stopped",
                          hint="the computer may be overloaded; run the build again") from None
    except OSError as exc:
        raise cannot_start(cmd[0], exc) from None
    if text:
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                           done.stderr.decode("utf-8", "replace"))
    return done


def cannot_start(exe: str, exc: OSError) -> RenderError:
    """The message for an ffmpeg that is there but will not run (damaged, blocked, wrong machine)."""
    return RenderError(f"ffmpeg at {exe} cannot be started: {exc.strerror or exc}",
                       hint="reinstall with `pip install --force-reinstall imageio-ffmpeg`, or set ANNOUNCER_FFMPEG "
                            "to a working ffmpeg")


def decode_mp3_bytes(mp3: bytes, rate: int, what: str, timeout: float = 60.0) -> bytes:
    """16-bit mono PCM at ``rate`` from MP3 bytes (through a pipe; no temp file). Empty when undecodable."""
    done = run_ffmpeg_process([ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-f", "mp3", "-i", "pipe:0",
                               "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"], what, timeout=timeout,
                              input=mp3)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"status {done.returncode}"]
        raise RenderError(f"{what}: {detail[0]}")
    return bytes(done.stdout)


def configure_pydub() -> str:
    """Make pydub use our ffmpeg (idempotent). Returns the executable's path."""
    global _pydub_configured
    exe = ffmpeg_exe()
    with _lock:
        if not _pydub_configured:
            from pydub import AudioSegment

            AudioSegment.converter = exe
            _pydub_configured = True
    return exe


def _find_ffmpeg() -> str:
    override = os.environ.get("ANNOUNCER_FFMPEG")
    if override:
        if os.path.isfile(override):
            return override
        raise RenderError(
            f"ANNOUNCER_FFMPEG points to {override!r}, which does not exist",
            hint="fix the path or unset ANNOUNCER_FFMPEG to use the bundled ffmpeg",
        )
    bundled = _bundled_ffmpeg()
    if bundled:
        return bundled
    problem = ""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError, OSError) as exc:
        problem = str(exc)
    found = shutil.which("ffmpeg")
    if found:
        return found
    raise RenderError(
        f"ffmpeg was not found ({problem or 'imageio-ffmpeg has no binary for this platform'})",
        hint="reinstall with `pip install --force-reinstall imageio-ffmpeg` or install ffmpeg on the PATH",
    )


def _bundled_ffmpeg() -> str | None:
    """imageio-ffmpeg's own binary, found where it keeps it without importing imageio_ffmpeg,
    which imports decimal, fractions and importlib.resources and runs ``ffmpeg -version`` to
    check the binary: about 40 ms at every start of a build, where the binary is then run
    anyway (one that will not start fails there, with a message saying what to do). Anything unusual (its
    IMAGEIO_FFMPEG_EXE override, no binary or several, not executable) leaves the choice to
    imageio_ffmpeg itself."""
    import importlib.util

    if os.environ.get("IMAGEIO_FFMPEG_EXE"):
        return None
    try:
        spec = importlib.util.find_spec("imageio_ffmpeg")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(list(spec.submodule_search_locations)[0], "binaries")
    try:
        found = [name for name in os.listdir(folder) if name.startswith("ffmpeg-")]
    except OSError:
        return None
    if len(found) != 1:
        return None
    exe = os.path.join(folder, found[0])
    return exe if os.path.isfile(exe) and os.access(exe, os.X_OK) else None
