"""A fake Google Translate TTS for ``responses``: real MP3 audio in Google's batchexecute answer,
and helpers to read back what a request asked for."""

from __future__ import annotations

import base64
import functools
import json
import subprocess
import urllib.parse

import responses

from announcer.audio.ffmpeg import ffmpeg_exe

URL = "https://translate.google.com.vn/_/TranslateWebserverUi/data/batchexecute"
"""Where the gTTS engine posts with the default tld (com.vn)."""
PIECE_SECONDS = 0.3


@functools.cache
def fake_mp3(frequency: int = 440, seconds: float = PIECE_SECONDS) -> bytes:
    """A sine as a real MP3, like one piece of Google's answer (24 kHz mono)."""
    result = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
         "-i", f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-ar", "24000",
         "-b:a", "32k", "-f", "mp3", "-"],
        capture_output=True, check=True,
    )
    assert len(result.stdout) > 200
    return result.stdout


def batchexecute_answer(mp3: bytes) -> str:
    """The ``)]}'``-prefixed batchexecute envelope Google answers with, audio as base64 inside."""
    compact = (",", ":")  # Google sends JSON without spaces
    payload = json.dumps([base64.b64encode(mp3).decode("ascii")], separators=compact)
    envelope = json.dumps([["wrb.fr", "jQ1olc", payload, None, None, None, "generic"],
                           ["di", 48], ["af.httprm", 47, "-4146012283224263488", 6]], separators=compact)
    tail = '[["e",4,null,null,' + str(len(envelope) + 42) + "]]"
    return f")]}}'\n\n{len(envelope)}\n{envelope}\n{len(tail)}\n{tail}\n"


def _rpc_parameters(body: object) -> list[object]:
    text = body.decode() if isinstance(body, bytes) else str(body)
    rpc = json.loads(urllib.parse.parse_qs(text)["f.req"][0])
    assert rpc[0][0][0] == "jQ1olc"
    parameters = json.loads(rpc[0][0][1])
    assert isinstance(parameters, list)
    return parameters


def body_text(body: object) -> str:
    """The text a request body asks Google to speak (for ``responses`` callbacks and matchers)."""
    parameters = _rpc_parameters(body)
    assert parameters[1] == "vi"
    return str(parameters[0])


def sent_text(call: responses.Call) -> str:
    """The text a recorded request asked Google to speak, decoded from the ``f.req`` form field."""
    return body_text(call.request.body)


def sent_speed(call: responses.Call) -> object:
    return _rpc_parameters(call.request.body)[2]
