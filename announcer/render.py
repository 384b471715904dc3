"""Render scripts to broadcast-ready audio: the main job.

script ─parse─> reading plan ─engine chain + cache─> clips ─mixer─> speech track (engine's rate)
       ─master (jingles + speech, resampled, joined, compressed, limited, MP3; measured as
        it is written)─> audio_out/<stem>.mp3 + .json + .txt

What a build learns is kept: sentences in the speech cache, each jingle's length and
gain and each voice's fit through mastering in small caches, so a script usually costs
its own synthesis, one encode and one measurement. A script whose mastered program is
unchanged (same clips, pauses, jingles, settings, announcer and ffmpeg: ``_program_key``)
reuses an MP3 encoded from it before, kept in .cache/mastered with the measurement ffmpeg
made of that very file (or its published MP3): the same audio frames, already measured,
so the guarantee that every published file was measured on the final MP3 holds; only
its tags are written anew.

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
from typing import TYPE_CHECKING, Any

from announcer import __version__
from announcer.audio.loudness import Input, Loudness, MasterSettings, SpeechFit, master_to_mp3
from announcer.clips import Clip
from announcer.config import Station, find_line, is_no_jingle
from announcer.errors import AnnouncerError, ConfigError, EngineError, RenderError, ScriptError
from announcer.fsutil import replace_durably
from announcer.i18n import ENGLISH, Translator, _
from announcer.script import Script, parse_script, scan_scripts
from announcer.speech import Pause, Piece, Speech, format_preview, plan_reading

if TYPE_CHECKING:  # the audio stack (numpy, pydub, engines) is imported only to render
    from announcer.audio.memo import FitStore, JingleStore, MasteredStore
    from announcer.audio.pydub_compat import AudioSegment
    from announcer.synth import EngineChain

log = logging.getLogger(__name__)

ProgressFactory = Callable[[int, str], Any]
"""Makes a progress bar (a context manager with update(n)) for a total and a label."""
JINGLE_BELOW_SPEECH_LU = 1.0
"""Jingles sit this much below the speech, so they are never louder than it."""
SPEECH_SAMPLE_S = 20.0
"""How much speech is measured for the first mastering gain (speech loudness is steady, and each
second costs the measurement about 2 ms)."""
LOUDNESS_MISS_LU = 1.0
"""A render further than this from the loudness target is refused, not published with a warning."""
TRUE_PEAK_MISS_DB = 0.5
"""Likewise for a true peak above the station's ceiling."""


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
    fallback_counts: dict[tuple[str, str, str], int] = field(default_factory=dict)


# --- locations and freshness -----------------------------------------------------------------------------


def output_paths(station: Station, script_path: Path) -> dict[str, Path]:
    stem = script_path.stem
    out = station.audio_out
    return {"mp3": out / f"{stem}.mp3", "json": out / f"{stem}.json", "txt": out / f"{stem}.txt",
            "wav": out / f"{stem}.wav"}


def _file_digest(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return _digest_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _digest_of(path: str, mtime_ns: int, size: int) -> str:
    """Content digest, computed once per version of a file (jingles are checked for every script)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


def _station_parts(station: Station, engine: str | None) -> dict[str, Any]:
    """What the station adds to every render's fingerprint: settings, lexicon, default jingles, version."""
    parts: dict[str, Any] = {
        "version": __version__,
        "engines": [engine] if engine else station.engines,
        "espeak": vars(station.espeak),
        "gtts": {k: v for k, v in vars(station.gtts).items() if k in ("tld", "slow")},
        "audio": vars(station.audio),
        "name": station.name,
        "dialect": station.dialect,
        "voice": [station.voice, station.speed],
        "lexicon": _file_digest(station.lexicon_path) if station.lexicon_path.exists() else "",
    }
    for jingle in (station.intro, station.outro):
        if jingle:
            parts[f"jingle:{jingle}"] = _file_digest(station.resolve(jingle))
    return parts


def _fingerprint(station: Station, script_path: Path, engine: str | None) -> tuple[str, dict[str, list[str]]]:
    """(the render fingerprint, the files the script names itself: jingles and clips)."""
    parts = _station_parts(station, engine)
    own: dict[str, list[str]] = {"jingles": [], "clips": []}
    try:
        script = parse_script(script_path)
    except AnnouncerError:
        parts["script"] = _file_digest(script_path)
    else:
        # Only what is heard or tagged: editing a script's schedule (slots, dates...)
        # does not make its render stale.
        parts["script"] = [script.title, script.body, script.repeat, script.intro, script.outro, script.engine,
                           script.voice, script.speed]
        own_jingles = [jingle for jingle in (script.intro, script.outro) if jingle]
        for jingle in own_jingles:
            parts[f"jingle:{jingle}"] = _file_digest(station.resolve(jingle))
        from announcer.clips import script_clips

        clip_names = [clip.name for clip in script_clips(script)]
        parts["clips"] = [script.intro_voice, _clip_digests(station, clip_names)]
        own = {"jingles": own_jingles, "clips": clip_names}
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24], own


def _clip_digests(station: Station, names: list[str]) -> list[str]:
    from announcer.clips import names_digest

    return names_digest(station, names)


def render_fingerprint(station: Station, script_path: Path, engine: str | None = None) -> str:
    """Everything that changes the render: what the script says and how (not when it airs),
    station audio/engine settings, lexicon, jingle and clip files and the program version."""
    return _fingerprint(station, script_path, engine)[0]


def _source_digest(script_path: Path) -> str | None:
    try:
        return hashlib.sha256(script_path.read_bytes()).hexdigest()
    except OSError:
        return None


def _names(value: object) -> list[str] | None:
    return value if isinstance(value, list) and all(isinstance(name, str) for name in value) else None


def _source_key(station: Station, source_digest: str | None, engine: str | None, own: object) -> str | None:
    """The script file's exact bytes, with the rest of what the fingerprint covers (station
    parts, the files the script names itself: jingles and clips): equal keys mean equal
    fingerprints, known without parsing the script (YAML), which `build`, `check` and `plan`
    would otherwise do for every script of the station."""
    jingles = _names(own.get("jingles")) if isinstance(own, dict) else None
    clips = _names(own.get("clips")) if isinstance(own, dict) else None
    if source_digest is None or jingles is None or clips is None:
        return None
    parts = _station_parts(station, engine)
    parts["source"] = source_digest
    parts["own"] = [[name, _file_digest(station.resolve(name))] for name in jingles]
    parts["clips"] = _clip_digests(station, clips) if clips else []
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def fingerprint_with_source(station: Station, script_path: Path, engine: str | None = None
                            ) -> tuple[str, dict[str, Any] | None]:
    """The render fingerprint, and what a manifest records to recognise it later without
    parsing: the source key and the files the script names (None if the file changed meanwhile)."""
    before = _source_digest(script_path)
    fingerprint, own = _fingerprint(station, script_path, engine)
    if before is None or _source_digest(script_path) != before:
        return fingerprint, None  # edited while we read it: only the full check will do
    key = _source_key(station, before, engine, own)
    return fingerprint, None if key is None else {"key": key, **own}


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
    """What a manifest records about its MP3: size and sha256, and which file it is (inode and
    modification time, which the rename into place keeps)."""
    info = path.stat()
    return {"bytes": info.st_size, "sha256": _audio_digest(str(path), info.st_size, info.st_mtime_ns, info.st_ino),
            "file": [info.st_ino, info.st_mtime_ns]}


def manifest_matches_audio(manifest: dict[str, Any], mp3: Path, thorough: bool = False) -> bool:
    """True when ``mp3`` is the very file the manifest vouches for (same size and hash).

    The very file published with the manifest, untouched since, is known by its inode and
    modification time without reading it: `check`, `plan` and every build ask this of every
    render, and hashing a station's MP3s costs seconds. ``thorough`` always compares the hash.
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
    if not thorough and recorded.get("file") == [info.st_ino, info.st_mtime_ns]:
        return True
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
    source = manifest.get("source")
    known = isinstance(source, dict) and source.get("key") is not None and \
        source.get("key") == _source_key(station, _source_digest(script_path), engine, source)
    if not known and manifest.get("fingerprint") != render_fingerprint(station, script_path, engine):
        return "stale"
    if not manifest_matches_audio(manifest, mp3):
        log.warning("%s does not match its manifest (a build was interrupted?); it will be rebuilt", mp3)
        return "stale"
    return "fresh"


# --- engines, normalizer, jingles ------------------------------------------------------------------------


def make_chain(station: Station, engine: str | None, voice: str | None, speed: float | None = None) -> EngineChain:
    from announcer.cache import SpeechCache
    from announcer.engines import ENGINES, chain_engines
    from announcer.synth import EngineChain

    names = [engine] if engine else list(station.engines)
    for name in names:
        if name not in ENGINES:
            raise EngineError(
                _("unknown engine {name!r}", name=name),
                file=None if engine else station.config_path,
                line=None if engine else find_line(_station_source(station), "engines"),
                hint=_("use one of: {names}", names=", ".join(ENGINES)),
            )
    engines = chain_engines(station, names, voice, speed, forced=bool(engine))
    from announcer.textnorm.engine_forms import EngineForms, form_problems, load_engine_forms

    forms = load_engine_forms(station.lexicon_path)
    for problem in form_problems(forms, station.lexicon_path, ENGINES):
        raise problem
    return EngineChain(engines, SpeechCache(station.cache_dir / "speech"), forms=EngineForms(forms))


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
        raise ScriptError(_("the script has nothing to read aloud"), file=script.path, line=script.body_line,
                          hint=_("write the notice text after the front matter"))
    if script.intro_voice:
        pieces[:0] = [Clip(script.intro_voice, script.line_of("intro_voice") or 1),
                      Pause(audio.paragraph_pause_ms, "paragraph")]
    return pieces


def _jingle_path(station: Station, script: Script, which: str) -> tuple[Path | None, str]:
    from announcer.guards import inside_station, require_short_audio

    own = getattr(script, which)
    if is_no_jingle(own):
        return None, ""
    if own is not None:
        path = inside_station(station, Path(own.strip()), f"{which} jingle", script.path, script.line_of(which))
        if not path.is_file():
            raise RenderError(_("{key} jingle {value!r} not found", key=which, value=own), file=script.path,
                              line=script.line_of(which),
                              hint=_("put the file at {target} or write '{key}: none'", target=path, key=which))
        require_short_audio(path, station.limits, f"{which} jingle", script.path, script.line_of(which))
        return path, own
    default = station.intro if which == "intro" else station.outro
    if not default or is_no_jingle(default):
        return None, ""
    line = find_line(_station_source(station), which)
    path = inside_station(station, Path(default.strip()), f"the default {which} jingle", station.config_path, line)
    if not path.is_file():
        raise RenderError(_("default {key} jingle {value!r} not found", key=which, value=default),
                          file=station.config_path, line=line,
                          hint=_('put the file at {target}, fix the path, or set {key} = "" for none', target=path,
                                 key=which))
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
        raise RenderError(_("cannot write to {folder}: {reason}", folder=folder, reason=exc.strerror), file=folder,
                          hint=_("check that the folder exists, is writable and the disk is not full")) from None
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
    jobs: int = 1,
) -> list[BuildResult]:
    """Render the named scripts (all of scripts/*.md when none), skipping up-to-date ones.

    With ``jobs`` > 1, scripts render in that many worker processes at once; one script's
    failure is reported with the rest and does not stop the others."""
    from announcer.guards import station_script

    unreadable_results: list[BuildResult] = []
    if scripts:
        targets = [station_script(station, path) for path in scripts]
    else:
        targets, unreadable = scan_scripts(station.scripts_dir)
        # A link leaving the station, a loop or a folder named x.md: said, not skipped in silence.
        unreadable_results = [BuildResult(Path(exc.file or station.scripts_dir), error=exc.marked())
                              for exc in unreadable]
        if not targets and unreadable:
            return unreadable_results
        if not targets:
            raise ScriptError(_("no scripts to build"), file=station.scripts_dir,
                              hint=_("add a .md script there, or run `announcer import NOTICE`"))
    results: dict[Path, BuildResult] = {}

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

    todo = []
    for path in targets:
        manifest = read_manifest(station, path) or {}
        if (not force and render_status(station, path, engine) == "fresh"
                and not (manifest.get("fallbacks") and first_engine_back())):
            results[path] = BuildResult(path, output_paths(station, path)["mp3"], skipped=True,
                                        title=manifest.get("title", ""),
                                        duration_s=manifest.get("duration_s", 0.0),
                                        loudness_lufs=manifest.get("loudness_lufs", 0.0),
                                        true_peak_db=manifest.get("true_peak_db", 0.0),
                                        engines=sorted(manifest.get("engines", {})))
        else:
            todo.append(path)
    if jobs > 1 and len(todo) > 1:
        from announcer.parallel import render_parallel

        results.update(render_parallel(station, todo, engine, jobs, progress))
    else:
        stores = Stores()
        for path in todo:
            try:
                results[path] = render_script(station, path, engine=engine, progress=progress, stores=stores)
            except (ScriptError, RenderError, EngineError, ConfigError) as exc:
                if len(targets) == 1 or is_fatal(station, exc):
                    raise
                results[path] = BuildResult(path, error=exc.marked())  # reported by the caller, with the rest
    # One warning for the whole run, not one per sentence or per script.
    total: Counter[tuple[str, str, str]] = Counter()
    for result in results.values():
        total.update(result.fallback_counts)
    if total:  # else nothing to say, and a build with nothing to do need not load the engines
        from announcer.synth import describe_fallbacks

        for warning in describe_fallbacks(total):
            log.warning("%s", warning)
    return unreadable_results + [results[path] for path in targets]


def is_fatal(station: Station, exc: AnnouncerError) -> bool:
    """A problem with audio_out itself (unwritable, disk full) stops the whole build."""
    return isinstance(exc, RenderError) and exc.file == str(station.audio_out)


@dataclass
class Stores:
    """Per-process memory of a build: engine chains, jingle measurements, voice fits."""

    chains: dict[str, EngineChain] = field(default_factory=dict)
    jingles: JingleStore | None = None
    fits: FitStore | None = None
    mastered: MasteredStore | None = None

    def ready(self, station: Station) -> Stores:
        from announcer.audio.memo import FitStore, JingleStore, MasteredStore

        if self.jingles is None:
            self.jingles = JingleStore(station.cache_dir / "jingles")
        if self.fits is None:
            self.fits = FitStore(station.cache_dir / "fits")
        if self.mastered is None:
            self.mastered = MasteredStore(station.cache_dir / "mastered", mastered_budget(station))
        return self


MASTERED_BUDGET_MIN_BYTES = 64 << 20
MASTERED_BUDGET_FACTOR = 2
"""The encoded programs kept in .cache/mastered take at most this many times the station's
published MP3s (at least MASTERED_BUDGET_MIN_BYTES): the current renders, and as many older
versions (an edit undone, a script renamed, audio_out cleared)."""


def mastered_budget(station: Station) -> int:
    published = 0
    try:
        for mp3 in station.audio_out.glob("*.mp3"):
            try:
                published += mp3.stat().st_size
            except OSError:
                continue
    except OSError:
        pass
    return max(MASTERED_BUDGET_MIN_BYTES, MASTERED_BUDGET_FACTOR * published)


def render_script(
    station: Station,
    path: Path,
    engine: str | None = None,
    progress: ProgressFactory | None = None,
    chains: dict[str, EngineChain] | None = None,
    stores: Stores | None = None,
) -> BuildResult:
    from announcer.audio.mixer import ProgramWriter
    from announcer.clips import ClipStore, clip_samples, matching_gain, resolve_clip

    stores = (stores or Stores(chains if chains is not None else {})).ready(station)
    assert stores.jingles is not None
    script = parse_script(path, station.limits.max_script_kb * 1024)
    forced = engine or script.engine
    chain_key = f"{forced}|{script.voice}|{script.speed}"
    if chain_key not in stores.chains:
        stores.chains[chain_key] = make_chain(station, forced, script.voice, script.speed)
    chain = stores.chains[chain_key]
    calls_before = chain.calls
    fallbacks_before = Counter(chain.fallbacks)
    pieces = plan_script(station, script)
    intro, intro_name = _jingle_path(station, script, "intro")
    outro, outro_name = _jingle_path(station, script, "outro")
    paths = output_paths(station, path)
    fingerprint, source = fingerprint_with_source(station, path, engine)
    audio = station.audio
    settings = _master_settings(station)
    rate = settings.sample_rate
    speech_count = sum(isinstance(p, Speech) for p in pieces)

    with _staging(station.audio_out) as stage:
        # Pass 1: synthesize every sentence (fills the cache).
        spoken = []
        rates: Counter[int] = Counter()
        excerpt = _SpeechExcerpt(stage / "excerpt.wav")
        bar = progress(speech_count, path.name) if progress else None
        clip_store = ClipStore(station.cache_dir / "clips")
        clip_files: list[tuple[Path, float]] = []  # each clip's file and loudness, in order
        with bar if bar is not None else _null():
            for piece in pieces:
                if isinstance(piece, Clip):
                    clip_path = resolve_clip(station, piece, path)
                    clip_files.append((clip_path, clip_store.loudness(clip_path, station.limits.max_jingle_s)))
                if isinstance(piece, Speech):
                    result = chain.speak(piece.text)
                    # The clip's own digest, not the clip (memory): the program key names exact audio.
                    spoken.append((result.key, result.engine, result.voice,
                                   hashlib.sha256(result.clip.raw_data).hexdigest()[:32]))
                    rates[result.clip.frame_rate] += len(result.clip.raw_data)
                    excerpt.add(result.clip)
                    if bar is not None:
                        bar.update(1)
        excerpt.close()
        speech_rate = rates.most_common(1)[0][0]
        speech_lufs_now = excerpt.lufs() if clip_files else None  # recordings are set to the speech's level
        clip_gains = [(p, matching_gain(speech_lufs_now, lufs, p) if speech_lufs_now is not None else 0.0)
                      for p, lufs in clip_files]
        jingle_lufs = settings.target_lufs - JINGLE_BELOW_SPEECH_LU
        intro_info = stores.jingles.get(intro, settings, jingle_lufs) if intro else None
        outro_info = stores.jingles.get(outro, settings, jingle_lufs) if outro else None
        tags = {"title": script.title, "artist": station.name, "album": station.name,
                "date": datetime.now(station.tz).strftime("%Y-%m-%d"), "comment": f"announcer {__version__}"}
        mp3_tmp = stage / "out.mp3"
        wav_tmp = stage / "out.wav" if audio.write_wav else None
        program_key = _program_key(station, script, pieces, spoken, speech_rate,
                                   [(intro, intro_info), (outro, outro_info)], clip_gains)
        assert stores.mastered is not None
        reused = keep = None
        if not wav_tmp:
            reused = _reuse_kept(stores.mastered, program_key, mp3_tmp, tags)
            if reused is None:
                reused = keep = _reuse_mastered(read_manifest(station, path), program_key, paths["mp3"], mp3_tmp,
                                                tags)
        if reused is not None:
            # The same program was mastered and measured before: same audio frames, new tags.
            segments, duration, measured = _refresh_segments(reused["segments"], pieces), reused["duration_s"], \
                Loudness(reused["loudness_lufs"], reused["true_peak_db"])
            engines_used = Counter(reused.get("engines", {}))
        else:
            # Pass 2: the speech track (at the engine's rate), reading clips back from the cache.
            speech_wav = stage / "speech.wav"
            offset = intro_info.frames / rate if intro_info else 0.0
            segments = []
            if intro_info:
                segments.append({"kind": "jingle", "start": 0.0, "end": round(offset, 3), "file": intro_name})
            engines_used = Counter()
            with ProgramWriter(speech_wav, speech_rate) as writer:
                if intro:
                    writer.add_silence(audio.jingle_gap_ms)
                for reading in range(1, script.repeat + 1):
                    if reading > 1:
                        writer.add_silence(audio.interlude_ms)
                    spoken_iter = iter(spoken)
                    clip_iter = iter(clip_gains)
                    for piece in pieces:
                        if isinstance(piece, Clip):
                            clip_path, gain = next(clip_iter)
                            start, end = writer.add(clip_samples(clip_path, speech_rate, station.limits.max_jingle_s),
                                                    gain)
                            segments.append({"kind": "clip", "start": round(offset + start, 3),
                                             "end": round(offset + end, 3), "name": piece.name,
                                             "file": clip_path.relative_to(station.root).as_posix(),
                                             "gain_db": gain, "line": piece.line, "reading": reading})
                            continue
                        if not isinstance(piece, Speech):
                            writer.add_silence(piece.ms)
                            continue
                        key, engine_name, voice, _ = next(spoken_iter)
                        if offset + writer.position_s > station.limits.max_program_min * 60:
                            from announcer.guards import require_program_length

                            require_program_length(script, station, offset + writer.position_s, estimate=False)
                        start, end = writer.add_clip(_trim(chain.clip_again(key, piece.text)))
                        engines_used[engine_name] += 1
                        segments.append({"kind": "speech", "start": round(offset + start, 3),
                                         "end": round(offset + end, 3), "text": piece.text, "engine": engine_name,
                                         "voice": voice, "line": piece.line, "reading": reading})
                if outro:
                    writer.add_silence(audio.jingle_gap_ms)
                speech_end = offset + writer.position_s
            duration = speech_end
            if outro_info:
                duration += outro_info.frames / rate
                segments.append({"kind": "jingle", "start": round(speech_end, 3), "end": round(duration, 3),
                                 "file": outro_name})

            # Pass 3: master. The first gain comes from the measured speech and the voice's fit;
            # jingles are fitted to sit JINGLE_BELOW_SPEECH_LU under the target, whatever the
            # speech needs.
            voices = sorted({f"{engine_name}:{voice}" for _, engine_name, voice, _ in spoken})
            speech_lufs, fit, fit_key = _speech_fit(station, stores, excerpt, voices)
            inputs = []
            if intro:
                inputs.append(Input(intro, intro_info.gain_db if intro_info else 0.0))
            inputs.append(Input(speech_wav))
            if outro:
                inputs.append(Input(outro, outro_info.gain_db if outro_info else 0.0))
            mastered = master_to_mp3(inputs, mp3_tmp, settings, tags,
                                     fit.gain_for(speech_lufs, settings.target_lufs), ceiling=fit.ceiling_db,
                                     wav_copy=wav_tmp)
            _learn_fit(stores, fit_key, fit, speech_lufs, mastered)
            measured = mastered.loudness
            speech_wav.unlink()
            keep = {"loudness_lufs": round(measured.integrated_lufs, 2),
                    "true_peak_db": round(measured.true_peak_db, 2), "duration_s": round(duration, 3),
                    "segments": segments, "engines": dict(engines_used)}
        _require_target(station, measured.integrated_lufs, measured.true_peak_db)
        if keep is not None:
            # The MP3 as encoded and measured, for the next build of this very program.
            stores.mastered.put(program_key, mp3_tmp, {k: keep.get(k) for k in MASTERED_RECORD})

        manifest = {
            "script": path.name, "title": script.title, "station": station.name,
            "fingerprint": fingerprint, "source": source,
            "built_at": datetime.now(station.tz).isoformat(timespec="seconds"),
            "announcer": __version__, "duration_s": round(duration, 3),
            "loudness_lufs": round(measured.integrated_lufs, 2), "true_peak_db": round(measured.true_peak_db, 2),
            "repeat": script.repeat, "engines": dict(engines_used), "segments": segments,
            "fallbacks": chain.fallback_summary(fallbacks_before),
            "program": program_key, "audio": audio_identity(mp3_tmp),
        }
        transcript = _transcript(script, pieces)
        (stage / "out.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        (stage / "out.txt").write_text(transcript, encoding="utf-8")
        _publish(stage, paths, wav_tmp is not None)

    return BuildResult(path, paths["mp3"], title=script.title, duration_s=duration,
                       loudness_lufs=measured.integrated_lufs, true_peak_db=measured.true_peak_db,
                       engines=sorted(engines_used), engine_calls=chain.calls - calls_before,
                       warnings=chain.fallback_summary(fallbacks_before),
                       fallback_counts=dict(chain.fallbacks - fallbacks_before) if len(chain.engines) > 1 else {})


def _program_key(station: Station, script: Script, pieces: list[Piece], spoken: list[tuple[str, str, str, str]],
                 speech_rate: int, jingles: list[tuple[Path | None, Any]],
                 clip_gains: list[tuple[Path, float]] | None = None) -> str:
    """Everything the mastered audio depends on (not the tags): each sentence's exact sound,
    every pause, each recording's content and gain, the jingles' content and level, the master
    settings, announcer's version and the ffmpeg that encodes. The same key means the same
    audio frames, so an MP3 encoded and measured under it can be published again instead of
    encoded again; any other input is another key."""
    from announcer.audio.ffmpeg import encoder_identity

    clips = iter(spoken)
    recordings = iter(clip_gains or [])
    track: list[Any] = []
    for piece in pieces:
        if isinstance(piece, Speech):
            key, _, _, digest = next(clips)
            track.append([key, digest])
        elif isinstance(piece, Clip):
            clip_path, gain = next(recordings)
            track.append([_file_digest(clip_path), gain])
        else:
            track.append(piece.ms)
    audio = station.audio
    parts = [__version__, encoder_identity(), repr(_master_settings(station)), speech_rate, track, script.repeat,
             audio.interlude_ms, audio.jingle_gap_ms,
             [[_file_digest(path), info.gain_db] if path and info else None for path, info in jingles]]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


MASTERED_RECORD = ("loudness_lufs", "true_peak_db", "duration_s", "segments", "engines")
"""What is kept with an encoded program: its measurement, length, timing and engines."""


def _reuse_kept(store: MasteredStore, program_key: str, dest: Path, tags: dict[str, str]) -> dict[str, Any] | None:
    """The kept encode of this very program (hash checked), copied to ``dest`` with this
    render's tags, and its record; None when there is none."""
    record = store.get(program_key, dest)
    if record is None:
        return None
    from mutagen import MutagenError  # here: a build that encodes anew has no use for mutagen

    try:
        _retag(dest, tags)
    except (OSError, ValueError, MutagenError) as exc:
        log.debug("not reusing the kept encode %s: %s", program_key, exc)
        dest.unlink(missing_ok=True)
        return None
    return record


def _reuse_mastered(manifest: dict[str, Any] | None, program_key: str, published: Path, dest: Path,
                    tags: dict[str, str]) -> dict[str, Any] | None:
    """The published render's manifest, with its MP3 copied to ``dest`` and retagged, when it
    was mastered from the same program and the file is exactly the one that was measured."""
    if not manifest or manifest.get("program") != program_key or not published.is_file():
        return None
    try:
        if not isinstance(manifest.get("audio"), dict) or not manifest_matches_audio(manifest, published,
                                                                                  thorough=True):
            return None
        import shutil

        shutil.copyfile(published, dest)
        _retag(dest, tags)
        float(manifest["loudness_lufs"]), float(manifest["true_peak_db"]), float(manifest["duration_s"])
        if not isinstance(manifest.get("segments"), list):
            return None
    except (OSError, KeyError, TypeError, ValueError) as exc:
        log.debug("not reusing %s: %s", published, exc)
        dest.unlink(missing_ok=True)
        return None
    return manifest


def _retag(path: Path, tags: dict[str, str]) -> None:
    """Write the ID3 tags as the encoder would have (ID3v2.3); the audio frames are untouched."""
    from mutagen.id3 import COMM, ID3, TALB, TDRC, TIT2, TPE1, ID3NoHeaderError

    try:
        id3 = ID3(str(path))
        id3.delete(str(path))
    except ID3NoHeaderError:
        pass
    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags["title"]))
    id3.add(TPE1(encoding=3, text=tags["artist"]))
    id3.add(TALB(encoding=3, text=tags["album"]))
    id3.add(TDRC(encoding=3, text=tags["date"]))
    id3.add(COMM(encoding=3, lang="eng", desc="", text=tags["comment"]))
    id3.save(str(path), v2_version=3)


def _refresh_segments(old: list[dict[str, Any]], pieces: list[Piece]) -> list[dict[str, Any]]:
    """The old segments' timing with the script's current line numbers (the key vouches for the rest)."""
    lines = [piece.line for piece in pieces if isinstance(piece, Speech)]
    fresh = []
    index = 0
    for segment in old:
        segment = dict(segment)
        if segment.get("kind") == "speech" and lines:
            segment["line"] = lines[index % len(lines)]
            index += 1
        fresh.append(segment)
    return fresh


@contextmanager
def _null() -> Iterator[None]:
    yield None


TRIM_THRESHOLD = 300
"""A sample louder than this (of 32767) is sound; the engine's quieter edges are cut."""
TRIM_MARGIN_S = 0.03
# Samples whose high byte (16-bit little-endian) is 0x00 or 0xFF lie in -256..255: surely quiet.
# Any other high byte may be loud and is checked exactly. bytes.translate and find run in C, so
# finding the edges costs no numpy import (about a tenth of a second at every start).
_MAYBE_LOUD = bytes(0 if high in (0x00, 0xFF) else 1 for high in range(256))


def _loud_edges(data: bytes) -> tuple[int, int] | None:
    """Index of the first and the last sample louder than TRIM_THRESHOLD, or None."""
    highs = data[1::2].translate(_MAYBE_LOUD)

    def loud(index: int) -> bool:
        return abs(int.from_bytes(data[2 * index:2 * index + 2], "little", signed=True)) > TRIM_THRESHOLD

    first = highs.find(1)
    while first != -1 and not loud(first):
        first = highs.find(1, first + 1)
    if first == -1:
        return None
    last = highs.rfind(1)
    while not loud(last):
        last = highs.rfind(1, 0, last)
    return first, last


def _trim(clip: AudioSegment) -> AudioSegment:
    """Cut the engine's own leading/trailing silence, so our pauses are the pauses."""
    from announcer.audio.pydub_compat import AudioSegment

    if clip.sample_width != 2 or clip.channels != 1:
        return clip  # engines give 16-bit mono; anything else is left as it is
    data = clip.raw_data
    edges = _loud_edges(data[: len(data) // 2 * 2])
    if edges is None:
        return clip
    margin = int(clip.frame_rate * TRIM_MARGIN_S)
    first, last = max(0, edges[0] - margin), min(len(data) // 2, edges[1] + margin)
    return AudioSegment(data=data[2 * first:2 * last], sample_width=2, frame_rate=clip.frame_rate, channels=1)


FIT_REFERENCE = f"ffmpeg ebur128 of the first {SPEECH_SAMPLE_S:g} s of speech, trimmed clips joined"
"""What a kept fit's input loudness is relative to (part of its key: fits learned against
another measurement of the speech are not reused)."""


class _SpeechExcerpt:
    """The first SPEECH_SAMPLE_S seconds of speech (trimmed sentences, joined without pauses),
    written to a WAV file as the sentences come, and measured by ffmpeg (ebur128) once, when
    asked: the reference of the first mastering gain and of the recordings' level. Only
    sentences at the first one's rate and format are taken (one engine standing in for
    another at another rate is rare; converting here would need numpy)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: Any = None
        self._measured = False
        self._lufs: float | None = None

    def add(self, clip: AudioSegment) -> None:
        from announcer.audio.mixer import ProgramWriter

        if self._measured or (self._writer is not None and self._writer.position_s >= SPEECH_SAMPLE_S):
            return
        if clip.sample_width != 2 or clip.channels != 1:
            return
        if self._writer is None:
            self._writer = ProgramWriter(self.path, clip.frame_rate)
        if clip.frame_rate == self._writer.rate:
            self._writer.add_clip(_trim(clip))

    def close(self) -> None:
        """No more sentences (the file is closed: on Windows an open file cannot be removed)."""
        if self._writer is not None:
            self._writer.close()

    def lufs(self) -> float | None:
        """Integrated loudness of the excerpt (None when it is silent or there is none)."""
        from announcer.audio.loudness import measure_excerpt

        if not self._measured:
            self._measured = True
            self.close()
            if self._writer is not None:
                self._lufs = measure_excerpt(self.path, SPEECH_SAMPLE_S)
        return self._lufs


def _speech_fit(station: Station, stores: Stores, excerpt: _SpeechExcerpt,
                voices: list[str]) -> tuple[float, SpeechFit, str]:
    """(raw speech loudness, how these voices come out of mastering, the fit's cache key).

    The raw loudness is that of the speech excerpt. A voice's fit is kept from the last
    build's final measurement; a voice new to this station is fitted on the excerpt first."""
    from announcer.audio.loudness import estimate_fit

    assert stores.fits is not None
    settings = _master_settings(station)
    key = stores.fits.key(voices, (settings, vars(station.espeak), station.gtts.tld, station.gtts.slow,
                                   FIT_REFERENCE))
    speech_lufs = excerpt.lufs()
    if speech_lufs is None:
        raise RenderError(_("the speech is silent"), hint=_("check the script text and the engine"))
    fit = stores.fits.get(key)
    if fit is not None:
        return speech_lufs, fit, key
    estimate = estimate_fit(excerpt.path, settings, SPEECH_SAMPLE_S, raw_lufs=speech_lufs)
    if estimate is None:
        raise RenderError(_("the speech is silent"), hint=_("check the script text and the engine"))
    return speech_lufs, estimate[1], key


def _learn_fit(stores: Stores, key: str, fit: SpeechFit, speech_lufs: float, mastered: Any) -> None:
    """Keep how the speech really came out, as measured on the final MP3, for the next build."""
    assert stores.fits is not None
    stores.fits.put(key, SpeechFit(round(speech_lufs + mastered.gain_db, 3),
                                   round(mastered.loudness.integrated_lufs, 3),
                                   round(mastered.slope or fit.slope, 3), round(mastered.ceiling_db, 3)))


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
        _("cannot reach the loudness target: {target} LUFS with true peak at most {ceiling} dBTP was asked, "
          "{lufs} LUFS / {peak} dBTP was reached", target=f"{audio.loudness_lufs:.1f}",
          ceiling=f"{audio.true_peak_db:.1f}", lufs=f"{lufs:.1f}", peak=f"{true_peak_db:.1f}"),
        file=station.config_path, line=find_line(_station_source(station), setting),
        hint=_("set loudness_lufs in [audio] nearer -16 (speech this loud needs more headroom than "
               "true_peak_db leaves), or raise true_peak_db; the last good renders are kept"),
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
        raise RenderError(_("cannot write {path}: {reason}", path=paths[key], reason=exc.strerror), file=paths[key],
                          hint=_("check that audio_out is writable and the disk is not full")) from None


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
    from announcer.audio.mixer import ProgramWriter

    if not text.strip():
        raise ScriptError(_("there is no text to say"), hint=_('give the text in quotes: announcer say "..." -o x.mp3'))
    chain = make_chain(station, engine, voice)
    pieces = plan_reading(text, 1, make_normalizer(station), station.audio.sentence_pause_ms,
                          station.audio.paragraph_pause_ms)
    if not any(isinstance(p, Speech) for p in pieces):
        raise ScriptError(_("the text has nothing to read aloud"), hint=_("give words to say"))
    output = output.resolve()
    engines: Counter[str] = Counter()
    stores = Stores().ready(station)
    if any(isinstance(p, Clip) for p in pieces):
        raise ScriptError("`say` reads text only; a [clip: ...] plays in a script's render",
                          hint="put the text with its clip in a script and run `announcer build`")
    with _staging(output.parent) as stage:
        clips = []
        voices = set()
        excerpt = _SpeechExcerpt(stage / "excerpt.wav")
        for piece in pieces:
            if isinstance(piece, Speech):
                spoken = chain.speak(piece.text)
                clips.append(_trim(spoken.clip))
                excerpt.add(spoken.clip)
                engines[spoken.engine] += 1
                voices.add(f"{spoken.engine}:{spoken.voice}")
            elif isinstance(piece, Pause):
                clips.append(piece)
        rates = Counter(c.frame_rate for c in clips if not isinstance(c, Pause))
        program = stage / "program.wav"
        with ProgramWriter(program, rates.most_common(1)[0][0]) as writer:
            for clip in clips:
                if isinstance(clip, Pause):
                    writer.add_silence(clip.ms)
                else:
                    writer.add_clip(clip)
            duration = writer.position_s
        speech_lufs, fit, fit_key = _speech_fit(station, stores, excerpt, sorted(voices))
        as_wav = output.suffix.lower() == ".wav"
        tmp = stage / ("out.wav" if as_wav else "out.mp3")
        settings = _master_settings(station)
        first_gain = fit.gain_for(speech_lufs, settings.target_lufs)
        if as_wav:
            mastered = master_to_mp3([Input(program)], stage / "check.mp3", settings, {}, first_gain,
                                     ceiling=fit.ceiling_db, wav_copy=tmp)
        else:
            mastered = master_to_mp3([Input(program)], tmp, settings, {"title": text[:60], "artist": station.name},
                                     first_gain, ceiling=fit.ceiling_db)
        _learn_fit(stores, fit_key, fit, speech_lufs, mastered)
        program.unlink()
        _require_target(station, mastered.loudness.integrated_lufs, mastered.loudness.true_peak_db)
        try:
            replace_durably(tmp, output)
        except OSError as exc:
            raise RenderError(_("cannot write {path}: {reason}", path=output, reason=exc.strerror),
                              file=output) from None
        (stage / "check.mp3").unlink(missing_ok=True)
    for warning in chain.fallback_summary():
        log.warning("%s", warning)
    return SayResult(output, duration, mastered.loudness.integrated_lufs, sorted(engines))


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


def format_build_table(results: list[BuildResult], tr: Translator = ENGLISH) -> str:
    rows = [tuple(tr(h) for h in (_("script"), _("duration"), _("loudness"), _("peak"), _("engines"), _("status")))]
    for r in results:
        if r.error:
            rows.append((r.script.name, "-", "-", "-", "-", tr(_("FAILED"))))
            continue
        minutes, seconds = divmod(r.duration_s, 60)
        rows.append((r.script.name, f"{int(minutes)}:{seconds:04.1f}", f"{r.loudness_lufs:.1f} LUFS",
                     f"{r.true_peak_db:.1f} dBTP", ",".join(r.engines) or "-",
                     tr(_("up to date") if r.skipped else _("built"))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
