"""Where ffmpeg lives, and pointing pydub at it.

imageio-ffmpeg ships an ffmpeg binary for every platform (but no ffprobe), so pydub
must always be told the format/codec of what it decodes. Nothing happens at import
time; the first call looks the binary up and caches it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading

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
