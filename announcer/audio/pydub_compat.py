"""pydub's AudioSegment, imported without its 'Couldn't find ffmpeg' warning.

pydub looks for ffmpeg on PATH when imported; we never rely on that lookup (our
ffmpeg comes from imageio-ffmpeg, see ``announcer.audio.ffmpeg``), so the
warning would only alarm staff.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    from pydub import AudioSegment

__all__ = ["AudioSegment"]
