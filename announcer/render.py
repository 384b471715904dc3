"""Render scripts to broadcast-ready audio: the main job.

script ─parse─> reading plan ─engine chain + cache─> clips ─mixer─> program WAV
       ─master (gain + limiter + MP3, measured)─> audio_out/<stem>.mp3 + .json + .txt

Outputs are written to a private ``.build-*`` folder and published only when all
of them are complete: each file fsynced and renamed into place, MP3 first, manifest
last. A failed or interrupted build never touches the last good render. The manifest
records the MP3's size and hash, and a render counts as up to date only when its
manifest says so and the MP3 on disk is the one it vouches for; so a build killed
mid-publish (new MP3 beside the old manifest) reads as stale and is redone.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from announcer import __version__
from announcer.audio.loudness import MasterSettings, SpeechFit, fit_speech, master_to_mp3
from announcer.audio.mixer import ProgramWriter, decode_audio_file, loudness_lufs, resample, segment_to_float
from announcer.audio.pydub_compat import AudioSegment
from announcer.cache import SpeechCache
from announcer.config import Station, find_line, is_no_jingle
from announcer.errors import AnnouncerError, ConfigError, EngineError, RenderError, ScriptError
from announcer.fsutil import replace_durably
from announcer.script import Script, parse_script, scan_scripts
from announcer.speech import Piece, Speech, format_preview, plan_reading
from announcer.synth import EngineChain, describe_fallbacks

log = logging.getLogger(__name__)

ProgressFactory = Callable[[int, str], Any]
"""Makes a progress bar (a context manager with update(n)) for a total and a label."""
JINGLE_BELOW_SPEECH_LU = 1.0
"""Jingles sit this much below the speech, so they are never louder than it."""
SPEECH_SAMPLE_S = 60.0
"""How much speech is measured to set the jingle level (speech loudness is steady)."""
LOUDNESS_MISS_LU = 1.0
"""A render further than this from the loudness target is refused, not published with a warning."""
TRUE_PEAK_MISS_DB = 0.5
"""Likewise for a true peak above the station's ceiling."""
JINGLE_MEASURE_S = 60.0
"""How much of a jingle is measured to set its level."""


@dataclass
class BuildResult:
    script: Path
    output: Path | None = None
    skipped: bool = False
    error: str | None = None
    title: str = ""
    duration_s: float = 0.0
    loudness_lufs: float = 0.0
    true_peak_db: float = 0.0
    engines: list[str] = field(default_factory=list)
    engine_calls: int = 0
    warnings: list[str] = field(default_factory=list)


# --- locations and freshness -----------------------------------------------------------------------------


def output_paths(station: Station, script_path: Path) -> dict[str, Path]:
    stem = script_path.stem
    out = station.audio_out
    return {"mp3": out / f"{stem}.mp3", "json": out / f"{stem}.json", "txt": out / f"{stem}.txt",
            "wav": out / f"{stem}.wav"}


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def render_fingerprint(station: Station, script_path: Path, engine: str | None = None) -> str:
    """Everything that changes the render: what the script says and how (not when it airs),
    station audio/engine settings, lexicon, jingle files and the program version."""
    parts: dict[str, Any] = {
        "version": __version__,
        "engines": [engine] if engine else station.engines,
        "espeak": vars(station.espeak),
        "gtts": {k: v for k, v in vars(station.gtts).items() if k in ("tld", "slow")},
        "audio": vars(station.audio),
        "name": station.name,
        "dialect": station.dialect,
        "lexicon": _file_digest(station.lexicon_path) if station.lexicon_path.exists() else "",
    }
    for jingle in (station.intro, station.outro):
        if jingle:
            parts[f"jingle:{jingle}"] = _file_digest(station.resolve(jingle))
    try:
        script = parse_script(script_path)
    except AnnouncerError:
        parts["script"] = _file_digest(script_path)
    else:
        # Only what is heard or tagged: editing a script's schedule (slots, dates...)
        # does not make its render stale.
        parts["script"] = [script.title, script.body, script.repeat, script.intro, script.outro, script.engine,
                           script.voice]
        for jingle in (script.intro, script.outro):
            if jingle:
                parts[f"jingle:{jingle}"] = _file_digest(station.resolve(jingle))
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def read_manifest(station: Station, script_path: Path) -> dict[str, Any] | None:
    paths = output_paths(station, script_path)
    try:
        data = json.loads(paths["json"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@functools.lru_cache(maxsize=256)
def _audio_digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    """sha256 of a render, remembered while the file is unchanged (the player asks often)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def audio_identity(path: Path) -> dict[str, Any]:
    """What a manifest records about its MP3: size and sha256."""
    info = path.stat()
    return {"bytes": info.st_size, "sha256": _audio_digest(str(path), info.st_size, info.st_mtime_ns, info.st_ino)}


def manifest_matches_audio(manifest: dict[str, Any], mp3: Path) -> bool:
    """True when ``mp3`` is the very file the manifest vouches for (same size and hash).

    A manifest from before this check was added (no ``audio`` entry) is trusted on size > 0.
    """
    try:
        info = mp3.stat()
    except OSError:
        return False
    recorded = manifest.get("audio")
    if not isinstance(recorded, dict):
        return info.st_size > 0
    if recorded.get("bytes") != info.st_size:
        return False
    try:
        return bool(recorded.get("sha256") == audio_identity(mp3)["sha256"])
    except OSError:
        return False


def render_status(station: Station, script_path: Path, engine: str | None = None) -> str:
    """'fresh' (render matches the script and settings), 'stale' or 'missing'."""
    manifest = read_manifest(station, script_path)
    mp3 = output_paths(station, script_path)["mp3"]
    if manifest is None or not mp3.is_file():
        return "missing"
    if manifest.get("fingerprint") != render_fingerprint(station, script_path, engine):
        return "stale"
    if not manifest_matches_audio(manifest, mp3):
        log.warning("%s does not match its manifest (a build was interrupted?); it will be rebuilt", mp3)
        return "stale"
    return "fresh"


# --- engines, normalizer, jingles ------------------------------------------------------------------------


def make_chain(station: Station, engine: str | None, voice: str | None) -> EngineChain:
    from announcer.engines import ENGINES, create_engine

    names = [engine] if engine else list(station.engines)
    for name in names:
        if name not in ENGINES:
            raise EngineError(
                f"unknown engine {name!r}",
                file=None if engine else station.config_path,
                line=None if engine else find_line(_station_source(station), "engines"),
                hint=f"use one of: {', '.join(ENGINES)}",
            )
    engines = []
    for name in names:
        wanted = voice if voice and (engine or voice in ENGINES[name].voices) else None
        engines.append(create_engine(name, station, wanted))
    if voice and not any(e.voice == voice for e in engines):
        raise EngineError(f"unknown voice {voice!r}", hint="`announcer engines` lists the voices")
    return EngineChain(engines, SpeechCache(station.cache_dir / "speech"))


def _station_source(station: Station) -> str:
    try:
        return station.config_path.read_text(encoding="utf-8-sig")
    except OSError:
        return ""


def make_normalizer(station: Station) -> Callable[[str], str]:
    from announcer.textnorm import load_lexicon, normalize

    lexicon = load_lexicon(station.lexicon_path)

    def run(text: str) -> str:
        return normalize(text, dialect=station.dialect, lexicon=lexicon)

    return run


def plan_script(station: Station, script: Script) -> list[Piece]:
    from announcer.guards import minimum_program_s, pause_problems, require_program_length

    for problem in pause_problems(script, station.limits):
        raise problem
    require_program_length(script, station, minimum_program_s(script, station), estimate=True)
    audio = station.audio
    pieces = plan_reading(script.body, script.body_line, make_normalizer(station), audio.sentence_pause_ms,
                          audio.paragraph_pause_ms)
    if not any(isinstance(p, Speech) for p in pieces):
        raise ScriptError("the script has nothing to read aloud", file=script.path, line=script.body_line,
                          hint="write the notice text after the front matter")
    return pieces


def _jingle_path(station: Station, script: Script, which: str) -> tuple[Path | None, str]:
    from announcer.guards import inside_station, require_short_audio

    own = getattr(script, which)
    if is_no_jingle(own):
        return None, ""
    if own is not None:
        path = inside_station(station, Path(own.strip()), f"{which} jingle", script.path, script.line_of(which))
        if not path.is_file():
            raise RenderError(f"{which} jingle {own!r} not found", file=script.path, line=script.line_of(which),
                              hint=f"put the file at {path} or write '{which}: none'")
        require_short_audio(path, station.limits, f"{which} jingle", script.path, script.line_of(which))
        return path, own
    default = station.intro if which == "intro" else station.outro
    if not default or is_no_jingle(default):
        return None, ""
    line = find_line(_station_source(station), which)
    path = inside_station(station, Path(default.strip()), f"the default {which} jingle", station.config_path, line)
    if not path.is_file():
        raise RenderError(f"default {which} jingle {default!r} not found", file=station.config_path, line=line,
                          hint=f"put the file at {path}, fix the path, or set {which} = \"\" for none")
    require_short_audio(path, station.limits, f"default {which} jingle", station.config_path, line)
    return path, default


# --- building --------------------------------------------------------------------------------------------


STAGING_PREFIX = ".build-"
STALE_STAGING_S = 6 * 3600.0
"""A staging folder this old is abandoned even if its owner's pid now belongs to someone else."""


def _pid_alive(pid: int) -> bool | None:
    """True/False on POSIX; None where it cannot be asked safely (os.kill(pid, 0) kills on Windows)."""
    if os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


def sweep_stale_staging(folder: Path, now: float | None = None) -> list[Path]:
    """Remove ``.build-*`` folders left by killed builds: whose owner pid is dead, or very old.

    A folder in use by a live build (ours or another process's) is left alone.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir():
            continue
        try:
            age = now - entry.stat().st_mtime
        except OSError:
            continue
        owner = entry.name[len(STAGING_PREFIX):].split("-", 1)[0]
        alive = _pid_alive(int(owner)) if owner.isdigit() else None
        if owner.isdigit() and int(owner) == os.getpid():
            alive = True  # another thread of this process may be using it
        if alive is False or (alive is None and age > STALE_STAGING_S) or age > 4 * STALE_STAGING_S:
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                log.info("removed %s, left by an interrupted build", entry)
                removed.append(entry)
    return removed


@contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A private temp folder inside ``folder`` (same filesystem, so rename is atomic).

    Named after this process's pid, so the next build can tell an abandoned one from a busy one.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stale_staging(folder)
        tmp = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=folder))
    except OSError as exc:
        raise RenderError(f"cannot write to {folder}: {exc.strerror}", file=folder,
                          hint="check that the folder exists, is writable and the disk is not full") from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_station(
    station: Station,
    scripts: list[Path],
    engine: str | None = None,
    force: bool = False,
    progress: ProgressFactory | None = None,
) -> list[BuildResult]:
    """Render the named scripts (all of scripts/*.md when none), skipping up-to-date ones."""
    from announcer.guards import station_script

    results: list[BuildResult] = []
    if scripts:
        targets = [station_script(station, path) for path in scripts]
    else:
        targets, unreadable = scan_scripts(station.scripts_dir)
        # A link leaving the station, a loop or a folder named x.md: said, not skipped in silence.
        results.extend(BuildResult(Path(exc.file or station.scripts_dir), error=str(exc)) for exc in unreadable)
        if not targets and unreadable:
            return results
        if not targets:
            raise ScriptError("no scripts to build", file=station.scripts_dir,
                              hint="add a .md script there, or run `announcer import NOTICE`")
    chain_cache: dict[str, EngineChain] = {}

    @functools.cache
    def first_engine_back() -> bool:
        """A render read by a fallback engine (e.g. espeak while offline) is redone once
        the first choice (e.g. gTTS) answers again; probed at most once per build."""
        if engine or len(station.engines) < 2:
            return False
        from announcer.engines import create_engine

        back = create_engine(station.engines[0], station).availability().ok
        if back:
            log.info("%s is available again: renders read by a fallback engine are redone", station.engines[0])
        return back

    for path in targets:
        manifest = read_manifest(station, path) or {}
        if (not force and render_status(station, path, engine) == "fresh"
                and not (manifest.get("fallbacks") and first_engine_back())):
            results.append(BuildResult(path, output_paths(station, path)["mp3"], skipped=True,
                                       title=manifest.get("title", ""),
                                       duration_s=manifest.get("duration_s", 0.0),
                                       loudness_lufs=manifest.get("loudness_lufs", 0.0),
                                       true_peak_db=manifest.get("true_peak_db", 0.0),
                                       engines=sorted(manifest.get("engines", {}))))
            continue
        try:
            results.append(render_script(station, path, engine=engine, progress=progress,
                                         chains=chain_cache))
        except (ScriptError, RenderError, EngineError, ConfigError) as exc:
            if len(targets) == 1 or isinstance(exc, RenderError) and exc.file == str(station.audio_out):
                raise
            results.append(BuildResult(path, error=str(exc)))  # reported by the caller, with the rest
    # One warning for the whole run, not one per sentence or per script.
    total: Counter[tuple[str, str, str]] = Counter()
    for chain in chain_cache.values():
        if len(chain.engines) > 1:
            total += chain.fallbacks
    for warning in describe_fallbacks(total):
        log.warning("%s", warning)
    return results


def render_script(
    station: Station,
    path: Path,
    engine: str | None = None,
    progress: ProgressFactory | None = None,
    chains: dict[str, EngineChain] | None = None,
) -> BuildResult:
    script = parse_script(path, station.limits.max_script_kb * 1024)
    forced = engine or script.engine
    chains = chains if chains is not None else {}
    chain_key = f"{forced}|{script.voice}"
    if chain_key not in chains:
        chains[chain_key] = make_chain(station, forced, script.voice)
    chain = chains[chain_key]
    calls_before = chain.calls
    fallbacks_before = Counter(chain.fallbacks)
    pieces = plan_script(station, script)
    intro, intro_name = _jingle_path(station, script, "intro")
    outro, outro_name = _jingle_path(station, script, "outro")
    paths = output_paths(station, path)
    fingerprint = render_fingerprint(station, path, engine)
    rate = station.audio.sample_rate
    speech_count = sum(isinstance(p, Speech) for p in pieces)

    with _staging(station.audio_out) as stage:
        # Pass 1: synthesize every sentence (fills the cache) and sample the speech loudness.
        spoken = []
        sample: list[np.ndarray] = []
        sampled = 0.0
        bar = progress(speech_count, path.name) if progress else None
        with bar if bar is not None else _null():
            for piece in pieces:
                if isinstance(piece, Speech):
                    result = chain.speak(piece.text)
                    spoken.append((result.key, result.engine, result.voice))  # not the clip: memory
                    if sampled < SPEECH_SAMPLE_S:
                        samples, clip_rate = segment_to_float(result.clip)
                        sample.append(resample(samples, clip_rate, rate))
                        sampled += result.clip.duration_seconds
                    if bar is not None:
                        bar.update(1)
        fit = _fit_speech(station, stage, sample)
        del sample
        # Jingles are set against the speech as it will air, on the raw scale of the mix.
        speech_lufs = fit.raw_lufs - fit.loss_lu if fit else None

        # Pass 2: write the program, reading clips back from the cache one at a time.
        program = stage / "program.wav"
        segments: list[dict[str, Any]] = []
        engines_used: Counter[str] = Counter()
        audio = station.audio
        with ProgramWriter(program, rate) as writer:
            if intro:
                _add_jingle(writer, intro, intro_name, speech_lufs, segments, station.limits.max_jingle_s)
                writer.add_silence(audio.jingle_gap_ms)
            for reading in range(1, script.repeat + 1):
                if reading > 1:
                    writer.add_silence(audio.interlude_ms)
                spoken_iter = iter(spoken)
                for piece in pieces:
                    if not isinstance(piece, Speech):
                        writer.add_silence(piece.ms)
                        continue
                    key, engine_name, voice = next(spoken_iter)
                    if writer.position_s > station.limits.max_program_min * 60:
                        from announcer.guards import require_program_length

                        require_program_length(script, station, writer.position_s, estimate=False)
                    start, end = writer.add_clip(_trim(chain.clip_again(key, piece.text)))
                    engines_used[engine_name] += 1
                    segments.append({"kind": "speech", "start": round(start, 3), "end": round(end, 3),
                                     "text": piece.text, "engine": engine_name, "voice": voice,
                                     "line": piece.line, "reading": reading})
            if outro:
                writer.add_silence(audio.jingle_gap_ms)
                _add_jingle(writer, outro, outro_name, speech_lufs, segments, station.limits.max_jingle_s)
            duration = writer.position_s

        tags = {"title": script.title, "artist": station.name, "album": station.name,
                "date": datetime.now(station.tz).strftime("%Y-%m-%d"), "comment": f"announcer {__version__}"}
        mp3_tmp = stage / "out.mp3"
        wav_tmp = stage / "out.wav" if audio.write_wav else None
        measured = master_to_mp3(program, mp3_tmp, _master_settings(station), tags, fit=fit, wav_copy=wav_tmp)
        program.unlink()
        _require_target(station, measured.integrated_lufs, measured.true_peak_db)

        manifest = {
            "script": path.name, "title": script.title, "station": station.name,
            "fingerprint": fingerprint, "built_at": datetime.now(station.tz).isoformat(timespec="seconds"),
            "announcer": __version__, "duration_s": round(duration, 3),
            "loudness_lufs": round(measured.integrated_lufs, 2), "true_peak_db": round(measured.true_peak_db, 2),
            "repeat": script.repeat, "engines": dict(engines_used), "segments": segments,
            "fallbacks": chain.fallback_summary(fallbacks_before),
            "audio": audio_identity(mp3_tmp),
        }
        transcript = _transcript(script, pieces)
        (stage / "out.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        (stage / "out.txt").write_text(transcript, encoding="utf-8")
        _publish(stage, paths, wav_tmp is not None)

    return BuildResult(path, paths["mp3"], title=script.title, duration_s=duration,
                       loudness_lufs=measured.integrated_lufs, true_peak_db=measured.true_peak_db,
                       engines=sorted(engines_used), engine_calls=chain.calls - calls_before,
                       warnings=chain.fallback_summary(fallbacks_before))


@contextmanager
def _null() -> Iterator[None]:
    yield None


def _trim(clip: AudioSegment) -> AudioSegment:
    """Cut the engine's own leading/trailing silence, so our pauses are the pauses."""
    if clip.sample_width != 2 or clip.channels != 1:
        return clip  # engines give 16-bit mono; anything else is left as it is
    samples = np.frombuffer(clip.raw_data, dtype="<i2")
    if samples.size == 0:
        return clip
    loud = np.flatnonzero(np.abs(samples) > 300)
    if loud.size == 0:
        return clip
    margin = int(clip.frame_rate * 0.03)
    first, last = max(0, loud[0] - margin), min(samples.size, loud[-1] + margin)
    return AudioSegment(data=samples[first:last].tobytes(), sample_width=2, frame_rate=clip.frame_rate, channels=1)


def _fit_speech(station: Station, stage: Path, sample: list[np.ndarray]) -> SpeechFit | None:
    """How the speech will come out of mastering, measured on an excerpt."""
    if not sample:
        return None
    excerpt = stage / "speech-sample.wav"
    with ProgramWriter(excerpt, station.audio.sample_rate) as writer:
        for piece in sample:
            writer.add(piece)
    fit = fit_speech(excerpt, _master_settings(station))
    excerpt.unlink()
    return fit


def _add_jingle(writer: ProgramWriter, path: Path, name: str, speech_lufs: float | None,
                segments: list[dict[str, Any]], max_seconds: float | None = None) -> None:
    """Add a jingle at its level below the speech. The level is measured on its opening minute and
    a longer jingle is streamed in chunks: memory stays flat however long the file (up to the limit)."""
    limit = max_seconds or float("inf")
    head = decode_audio_file(path, writer.rate, max_seconds=min(JINGLE_MEASURE_S, limit))
    gain = 0.0
    jingle_lufs = loudness_lufs(head, writer.rate)
    if speech_lufs is not None and jingle_lufs is not None:
        gain = speech_lufs - JINGLE_BELOW_SPEECH_LU - jingle_lufs
    start = writer.position_s
    if head.size < int(JINGLE_MEASURE_S * writer.rate) or limit <= JINGLE_MEASURE_S:
        writer.add(head, gain)
    else:
        del head
        for chunk in _stream_audio(path, writer.rate, limit):
            writer.add(chunk, gain)
    segments.append({"kind": "jingle", "start": round(start, 3), "end": round(writer.position_s, 3), "file": name})


def _stream_audio(path: Path, rate: int, max_seconds: float, chunk_s: float = 5.0) -> Iterator[np.ndarray]:
    """Mono float chunks of an audio file, decoded by ffmpeg as they are needed (at most max_seconds)."""
    import subprocess

    from announcer.audio.ffmpeg import ffmpeg_exe

    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-t", f"{max_seconds:.3f}",
            "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    size = int(rate * chunk_s) * 2
    try:
        while data := proc.stdout.read(size):
            usable = len(data) - len(data) % 2
            yield np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if proc.returncode != 0:
        raise RenderError("cannot read audio file", file=path,
                          hint="use a WAV or MP3 file that plays in a media player")


def _require_target(station: Station, lufs: float, true_peak_db: float) -> None:
    """Refuse a render that missed the station's loudness target or peak ceiling (nothing is published).

    Every file must sound equally loud on air; a target the true-peak ceiling does not leave
    room for (e.g. -6 LUFS for speech under -1.5 dBTP) is a setting to fix, not a warning to miss.
    """
    audio = station.audio
    too_far = abs(lufs - audio.loudness_lufs) > LOUDNESS_MISS_LU
    too_hot = true_peak_db > audio.true_peak_db + TRUE_PEAK_MISS_DB
    if not (too_far or too_hot):
        return
    setting = "loudness_lufs" if too_far else "true_peak_db"
    raise RenderError(
        f"cannot reach the loudness target: {audio.loudness_lufs:.1f} LUFS with true peak at most "
        f"{audio.true_peak_db:.1f} dBTP was asked, {lufs:.1f} LUFS / {true_peak_db:.1f} dBTP was reached",
        file=station.config_path, line=find_line(_station_source(station), setting),
        hint="set loudness_lufs in [audio] nearer -16 (speech this loud needs more headroom than "
             "true_peak_db leaves), or raise true_peak_db; the last good renders are kept",
    )


def _master_settings(station: Station) -> MasterSettings:
    audio = station.audio
    return MasterSettings(target_lufs=audio.loudness_lufs, max_true_peak_db=audio.true_peak_db,
                          bitrate_kbps=audio.bitrate_kbps, sample_rate=audio.sample_rate)


def _transcript(script: Script, pieces: list[Piece]) -> str:
    head = script.title
    if script.repeat > 1:
        head += f"  (đọc {script.repeat} lần)"
    return f"{head}\n\n{format_preview(pieces)}\n"


def publish_order(with_wav: bool) -> list[tuple[str, str]]:
    """(output key, staged name) in publish order: MP3 first, manifest last, so it vouches for the rest."""
    order = [("mp3", "out.mp3"), ("txt", "out.txt")]
    if with_wav:
        order.append(("wav", "out.wav"))
    order.append(("json", "out.json"))
    return order


def _publish(stage: Path, paths: dict[str, Path], with_wav: bool) -> None:
    """Move the finished files into place, each fsynced before and after its rename.

    Each file is durable before the next is moved, so after a power cut at any point the
    manifest on disk is either the old one (and the MP3 check flags the mismatch) or the
    new one with its MP3 already on disk.
    """
    key = "mp3"
    try:
        for key, name in publish_order(with_wav):
            replace_durably(stage / name, paths[key])
    except OSError as exc:
        raise RenderError(f"cannot write {paths[key]}: {exc.strerror}", file=paths[key],
                          hint="check that audio_out is writable and the disk is not full") from None


# --- one-off speech, preview, table ----------------------------------------------------------------------


@dataclass
class SayResult:
    path: Path
    duration_s: float
    loudness_lufs: float
    engines: list[str]


def say_text(station: Station, text: str, output: Path, engine: str | None = None,
             voice: str | None = None) -> SayResult:
    """Speak TEXT into OUTPUT (MP3, or WAV by suffix), normalized and loudness-matched, no jingles."""
    if not text.strip():
        raise ScriptError("there is no text to say", hint='give the text in quotes: announcer say "..." -o x.mp3')
    chain = make_chain(station, engine, voice)
    pieces = plan_reading(text, 1, make_normalizer(station), station.audio.sentence_pause_ms,
                          station.audio.paragraph_pause_ms)
    if not any(isinstance(p, Speech) for p in pieces):
        raise ScriptError("the text has nothing to read aloud", hint="give words to say")
    output = output.resolve()
    engines: Counter[str] = Counter()
    with _staging(output.parent) as stage:
        program = stage / "program.wav"
        with ProgramWriter(program, station.audio.sample_rate) as writer:
            for piece in pieces:
                if isinstance(piece, Speech):
                    spoken = chain.speak(piece.text)
                    writer.add_clip(_trim(spoken.clip))
                    engines[spoken.engine] += 1
                else:
                    writer.add_silence(piece.ms)
            duration = writer.position_s
        as_wav = output.suffix.lower() == ".wav"
        tmp = stage / ("out.wav" if as_wav else "out.mp3")
        settings = _master_settings(station)
        if as_wav:
            measured = master_to_mp3(program, stage / "check.mp3", settings, {}, wav_copy=tmp)
        else:
            measured = master_to_mp3(program, tmp, settings, {"title": text[:60], "artist": station.name})
        program.unlink()
        _require_target(station, measured.integrated_lufs, measured.true_peak_db)
        try:
            replace_durably(tmp, output)
        except OSError as exc:
            raise RenderError(f"cannot write {output}: {exc.strerror}", file=output) from None
        (stage / "check.mp3").unlink(missing_ok=True)
    for warning in chain.fallback_summary():
        log.warning("%s", warning)
    return SayResult(output, duration, measured.integrated_lufs, sorted(engines))


def preview_script(station: Station, path: Path) -> str:
    """The reading exactly as it will be spoken, with pause marks and what the normalizer could not resolve."""
    from announcer.textnorm import load_lexicon, unresolved

    script = parse_script(path, station.limits.max_script_kb * 1024)
    pieces = plan_script(station, script)
    lines = [f"# {script.title}" + (f"  (đọc {script.repeat} lần)" if script.repeat > 1 else ""), ""]
    lines.append(format_preview(pieces))
    lexicon = load_lexicon(station.lexicon_path)
    problems = unresolved(script.body, dialect=station.dialect, lexicon=lexicon, first_line=script.body_line)
    if problems:
        lines += ["", "# Cần kiểm tra (check these; add fixes to lexicon.tsv):"]
        lines += [f"#   {item}" for item in problems]
    return "\n".join(lines)


def format_build_table(results: list[BuildResult]) -> str:
    rows = [("script", "duration", "loudness", "peak", "engines", "status")]
    for r in results:
        if r.error:
            rows.append((r.script.name, "-", "-", "-", "-", "FAILED"))
            continue
        minutes, seconds = divmod(r.duration_s, 60)
        rows.append((r.script.name, f"{int(minutes)}:{seconds:04.1f}", f"{r.loudness_lufs:.1f} LUFS",
                     f"{r.true_peak_db:.1f} dBTP", ",".join(r.engines) or "-",
                     "up to date" if r.skipped else "built"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
