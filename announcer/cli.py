"""Command line: parses arguments and calls library functions, nothing more.

One top-level handler (``main``) turns the AnnouncerError family into one line
on stderr and an exit code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import errno
import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click

from announcer import __version__
from announcer.errors import AnnouncerError
from announcer.i18n import Msg, _, choose_language, translator
from announcer.procs import children_die_with_us

log = logging.getLogger("announcer")


class _TranslatingFormatter(logging.Formatter):
    """Log lines in the command's language: a marked message (or argument) is translated, and
    in Vietnamese the level reads "Cảnh báo"/"Lỗi". The language is looked up at the first line."""

    _LEVELS = {logging.WARNING: _("warning"), logging.ERROR: _("error"), logging.CRITICAL: _("error")}

    def __init__(self, fmt: str, language: Callable[[], str]) -> None:
        super().__init__(fmt)
        self._language = language

    def format(self, record: logging.LogRecord) -> str:
        tr = translator(self._language())
        if tr.lang != "en" and (isinstance(record.msg, Msg) or any(isinstance(a, Msg) for a in _args(record))
                                or record.levelno in self._LEVELS):
            record = logging.makeLogRecord(record.__dict__)
            record.msg = tr(record.msg) if isinstance(record.msg, Msg) else record.msg
            if isinstance(record.args, tuple):
                record.args = tuple(tr(a) if isinstance(a, Msg) else a for a in record.args)
            if record.levelno in self._LEVELS:
                record.levelname = tr(self._LEVELS[record.levelno])
        return super().format(record)


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    return record.args if isinstance(record.args, tuple) else ()


def _setup_logging(verbose: int, debug: bool, language: Callable[[], str] = lambda: "en") -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TranslatingFormatter("%(levelname)s: %(message)s" if not debug else
                                               "%(asctime)s %(name)s %(levelname)s: %(message)s", language))
    root = logging.getLogger("announcer")
    root.handlers[:] = [handler]
    root.setLevel(level)


def _utf8_stdio() -> None:
    # Windows consoles default to a code page that cannot print Vietnamese.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(encoding="utf-8", errors="replace")
            except (ValueError, OSError):
                pass


class Context:
    def __init__(self, station_dir: Path, debug: bool, lang: str | None = None) -> None:
        self.station_dir = station_dir
        self.debug = debug
        self.lang = lang

    @property
    def tr(self):  # noqa: ANN201 - Translator, imported lazily
        """The messages in the language of this command (--lang, ANNOUNCER_LANG, station.toml)."""
        return translator(choose_language(self.lang, self.station_dir))

    def require(self) -> Path:
        """The station folder, which must hold a station.toml (commands that work on a station)."""
        from announcer.config import require_station

        return require_station(self.station_dir)

    def station(self, required: bool = True):  # noqa: ANN201 - Station, imported lazily
        from announcer.config import load_station

        if required:
            self.require()
        return load_station(self.station_dir)


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="announcer")
@click.option("--station", "station_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="Station folder (holds station.toml).")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-v", "--verbose", count=True, help="More progress messages.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None,
              help="Language of messages (default: ANNOUNCER_LANG, else station.toml's language).")
@click.pass_context
def cli(ctx: click.Context, station_dir: Path, debug: bool, verbose: int, lang: str | None) -> None:
    """Vietnamese ward-radio notices to broadcast-ready MP3s, played on schedule."""
    _setup_logging(verbose, debug, functools.cache(lambda: choose_language(lang, station_dir)))
    ctx.obj = Context(station_dir, debug, lang)


# --- rendering -------------------------------------------------------------------------------------------


@cli.command()
@click.argument("scripts", nargs=-1, type=click.Path(path_type=Path))
@click.option("--engine", help="Use only this engine (no fallback).")
@click.option("--force", is_flag=True, help="Render even if the output is up to date.")
@click.option("--wav/--no-wav", default=None, help="Also write a WAV file.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
              help="Scripts rendered at once (default 0: one per CPU core).")
@pass_context
def build(obj: Context, scripts: tuple[Path, ...], engine: str | None, force: bool, wav: bool | None,
          jobs: int) -> None:
    """Render scripts (all of scripts/*.md when none is named) to audio_out/."""
    from announcer.parallel import default_jobs
    from announcer.render import build_station, format_build_table

    station = obj.station()
    tr = obj.tr
    if wav is not None:
        station.audio.write_wav = wav
    results = build_station(station, list(scripts), engine=engine, force=force, progress=_progress_bar,
                            jobs=jobs or default_jobs())
    click.echo(format_build_table(results, tr))
    failed = [r for r in results if r.error]
    for result in failed:
        message = tr.error(result.error) if isinstance(result.error, AnnouncerError) else tr(result.error)
        click.echo(f"{tr(_('error'))}: {message}", err=True)
    if failed:
        sys.exit(1)


def _progress_bar(total: int, label: str):  # noqa: ANN202 - a click progress bar
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)


@cli.command()
@click.argument("text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="MP3 (or .wav) file to write.")
@click.option("--engine", help="Use only this engine (no fallback).")
@click.option("--voice", help="Voice: region and sex such as trung-nu, or an engine voice name.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@pass_context
def say(obj: Context, text: str, output: Path, engine: str | None, voice: str | None, force: bool) -> None:
    """Speak TEXT into an audio file (normalized, loudness-matched, no jingles)."""
    from announcer.guards import check_say_output
    from announcer.render import say_text

    station = obj.station(required=False)
    check_say_output(output, force, station.root)
    result = say_text(station, text, output, engine=engine, voice=voice)
    click.echo(f"{result.path}  {result.duration_s:.1f} s  {result.loudness_lufs:.1f} LUFS  "
               f"{', '.join(result.engines)}")


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@pass_context
def preview(obj: Context, script: Path) -> None:
    """Print the text exactly as it will be spoken, with pause marks."""
    from announcer.guards import find_script
    from announcer.render import preview_script

    station = obj.station(required=False)
    click.echo(preview_script(station, find_script(station.root, script)))


@cli.command()
@pass_context
def engines(obj: Context) -> None:
    """List the engines, their voices and whether they work here."""
    from announcer.engines import describe_engines
    from announcer.voices import REGION_LABEL, SEX_LABEL

    station = obj.station(required=False)
    tr = obj.tr
    for row in describe_engines(station):
        state = tr(_("available")) if row["available"] else tr(_("unavailable: {reason}", reason=row["reason"]))
        kind = tr(_("online")) if row["online"] else tr(_("offline"))
        click.echo(f"{row['name']:8} {kind:8} "
                   + tr(_("voices: {voices}  (default {voice})", voices=", ".join(row["voices"]), voice=row["voice"]))
                   + f"  {state}")
        for voice in row["catalog"]:
            mark = "*" if row["chosen"] == voice else " "
            region = f"miền {REGION_LABEL[voice.region]}" if voice.region else tr(_("no region"))
            sex = SEX_LABEL[voice.sex] if voice.sex else tr(_("any"))
            click.echo(f"  {mark} {voice.name:18} {region:11} {sex:4} {voice.label}")
    if station.voice:
        click.echo(tr(_("* = the voice each engine reads for voice = {voice!r}", voice=station.voice)))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new station folder with the standard layout."""
    from announcer.station_init import init_station

    created = init_station(directory)
    # A new station speaks Vietnamese (its station.toml says language = "vi") unless told otherwise.
    tr = translator(choose_language(click.get_current_context().find_root().params.get("lang"), directory))
    click.echo(tr(_("created station in {folder}:", folder=directory)))
    for path in created:
        click.echo(f"  {path}")


# --- Vietnamese text -------------------------------------------------------------------------------------


@cli.command()
@click.argument("source", default="-", type=click.Path(allow_dash=True, path_type=Path))
@pass_context
def normalize(obj: Context, source: Path) -> None:
    """Print the spoken form of FILE (or standard input), one line out per line in."""
    from announcer.textnorm import load_lexicon
    from announcer.textnorm import normalize as normalize_text

    station = obj.station(required=False)
    lexicon = load_lexicon(station.lexicon_path)
    if str(source) == "-":
        text = sys.stdin.buffer.read().decode("utf-8-sig", errors="replace")
    else:
        from announcer.script import read_text_file

        text = read_text_file(source, what="text file")
    sys.stdout.write(normalize_text(text, dialect=station.dialect, lexicon=lexicon))
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")


@cli.command(name="import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Script to write: a .md file in scripts/ (relative to the station folder).")
@click.option("--force", is_flag=True, help="Overwrite an existing script.")
@click.option("--anywhere", is_flag=True, help="Allow -o outside scripts/ (still only a .md file).")
@pass_context
def import_(obj: Context, source: Path, output: Path | None, force: bool, anywhere: bool) -> None:
    """Turn a notice (.docx, .txt, .md; any Vietnamese encoding) into a script."""
    from announcer.guards import check_notice_source, import_destination
    from announcer.importer import import_notice

    station = obj.station()
    tr = obj.tr
    dest = import_destination(station, output, anywhere) if output is not None else None
    check_notice_source(source, station.limits)
    result = import_notice(source, station.scripts_dir, dest=dest, force=force, limits=station.limits)
    click.echo(tr(_("read {source} as {encoding}", source=source, encoding=result.encoding)))
    if result.removed:
        click.echo(tr(_("removed (never read on air):")))
        for item in result.removed:
            click.echo(f"  - {tr(item)}")
    click.echo(tr(_("wrote {dest}  (title: {title})", dest=result.dest, title=result.title)))


# --- schedule and playback -------------------------------------------------------------------------------


@cli.command()
@click.option("--date", "day", help="First day, YYYY-MM-DD (default: today at the station).")
@click.option("--days", default=1, show_default=True, help="How many days.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_context
def plan(obj: Context, day: str | None, days: int, as_json: bool) -> None:
    """Show the rundown: each slot and time with its items."""
    from announcer.schedule.planner import plan_command

    click.echo(plan_command(obj.require(), day, days, as_json, tr=obj.tr))


@cli.command()
@pass_context
def check(obj: Context) -> None:
    """Validate station.toml, every script and the schedule."""
    from announcer.schedule.check import check_command

    report, ok = check_command(obj.require(), tr=obj.tr)
    click.echo(report)
    if not ok:
        sys.exit(1)


@cli.command()
@click.option("--sink", help="soundcard, command:ARGV, file:DIR or icecast://USER@HOST:PORT/MOUNT "
              "(default from station.toml).")
@pass_context
def run(obj: Context, sink: str | None) -> None:
    """Play the schedule unattended (Ctrl-C stops)."""
    from announcer.schedule.runner import run_command
    from announcer.schedule.sinks import probe_sink

    root = obj.require()
    spec = sink or _configured_sink(root)
    problem = probe_sink(spec, root)
    if problem:  # said at start, not at the first item; the player still starts (a device may come back)
        tr = obj.tr
        text = tr(_("the sink {sink!r} cannot play here: {problem}", sink=spec or "soundcard", problem=problem))
        click.echo(f"{tr(_('warning'))}: {text}", err=True)
    sys.exit(run_command(root, sink))


def _configured_sink(root: Path) -> str | None:
    """station.toml's sink; None when the file cannot be read now (`run` then deals with it)."""
    from announcer.config import load_station

    try:
        return load_station(root).player.sink
    except AnnouncerError:
        return None


@cli.command()
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--sink", help="soundcard, command:ARGV, file:DIR or icecast://USER@HOST:PORT/MOUNT.")
@click.option("--level", "level_text", metavar="LEVEL",
              help="thong-thuong, uu-tien or khan-cap (default: the script's level).")
@pass_context
def play(obj: Context, target: Path, sink: str | None, level_text: str | None) -> None:
    """Play a script's render or an audio file now (hands it to a running `announcer run`)."""
    from announcer.config import Station, station_problems
    from announcer.guards import check_play_target
    from announcer.schedule.levels import parse_level
    from announcer.schedule.runner import play_command

    level = None
    if level_text is not None:
        try:
            level = parse_level(level_text)
        except ValueError as exc:
            raise click.BadParameter(obj.tr(exc), param_hint="--level") from None
    root = obj.require()
    station, problems = station_problems(root)
    check_play_target(station if not problems else Station(root=root), target)
    sys.exit(play_command(root, target, sink, report=click.echo, level=level))


@cli.command(name="log")
@click.option("--date", "day", help="Only this day, YYYY-MM-DD.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV output.")
@pass_context
def log_(obj: Context, day: str | None, as_csv: bool) -> None:
    """Report the as-run log."""
    from announcer.schedule.asrun import log_command

    click.echo(log_command(obj.require(), day, as_csv), nl=False)


# --- staff console --------------------------------------------------------------------------------------


@cli.command()
@click.option("--host", help="Address to listen on (default from [web] in station.toml: 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default from [web]: 8080).")
@pass_context
def serve(obj: Context, host: str | None, port: int | None) -> None:
    """Start the staff console (a web app in Vietnamese) on this station."""
    from announcer.web.serve import serve_command

    serve_command(obj.require(), host, port, report=click.echo)


@cli.group()
def user() -> None:
    """Staff accounts of the console."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["bien-tap", "phe-duyet", "quan-tri"]), required=True,
              help="bien-tap (editor), phe-duyet (approver) or quan-tri (administrator).")
@pass_context
def user_add(obj: Context, name: str, role: str) -> None:
    """Add an account; the password is asked for (or read from standard input), never given here."""
    from announcer.web.serve import add_user_command

    tr = obj.tr
    click.echo(tr(add_user_command(obj.require(), name, role, lambda: _read_new_password(tr))))


def _read_new_password(tr) -> str:  # noqa: ANN001 - a Translator, imported lazily
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(tr(_("Password")), hide_input=True, confirmation_prompt=tr(_("Password again"))))


# --- approval (phê duyệt) ---------------------------------------------------------------------------------


@cli.command()
@click.argument("script", type=click.Path(path_type=Path))
@click.option("--by", "by", required=True, help="Who approves: your name, recorded with the approval.")
@click.option("--revoke", is_flag=True, help="Take the approval away (the script is a draft again).")
@pass_context
def approve(obj: Context, script: Path, by: str, revoke: bool) -> None:
    """Approve SCRIPT for air as it is now (for stations without the web console)."""
    from announcer.approval import ApprovalBook
    from announcer.guards import station_script
    from announcer.schedule.clock import utc_now
    from announcer.script import parse_script

    station = obj.station()
    tr = obj.tr
    parsed = parse_script(station_script(station, script), station.limits.max_script_kb * 1024)
    book = ApprovalBook(station.state_dir)
    now = utc_now().astimezone(station.tz)
    if revoke:
        if book.revoke(parsed, by, now):
            click.echo(tr(_("{name}: approval revoked by {by}; it is a draft again", name=parsed.path.name, by=by)))
        else:
            click.echo(tr(_("{name} was not approved; nothing to revoke", name=parsed.path.name)))
        return
    record = book.approve(parsed, by, now)
    click.echo(tr(_("{name} approved by {by} at {at}", name=record.script, by=record.by,
                    at=f"{record.at:%d/%m/%Y %H:%M}")))
    if not station.require_approval:
        click.echo(tr(_("note: this station does not require approval (require_approval = false); "
                        "every script airs anyway")))


@cli.command()
@pass_context
def approvals(obj: Context) -> None:
    """List every script with its approval: who approved it and when, or draft."""
    from announcer.approval import APPROVED, ApprovalBook, listing
    from announcer.schedule.model import load_scripts

    station = obj.station()
    tr = obj.tr
    scripts, errors = load_scripts(station.scripts_dir)
    for row in listing(scripts.values(), ApprovalBook(station.state_dir)):
        if row.status == APPROVED and row.approval is not None:
            state = tr(_("approved by {by} at {at}", by=row.approval.by, at=f"{row.approval.at:%d/%m/%Y %H:%M}"))
        elif row.approval is not None:
            state = tr(_("draft (edited since {by} approved it at {at})", by=row.approval.by,
                         at=f"{row.approval.at:%d/%m/%Y %H:%M}"))
        else:
            state = tr(_("draft"))
        click.echo(f"{row.script.path.name:32} {state}")
    for exc in errors:
        click.echo(f"{tr(_('error'))}: {tr.error(exc)}", err=True)
    if not station.require_approval:
        click.echo(tr(_("note: this station does not require approval (require_approval = false); "
                        "every script airs anyway")))


# --- the one top-level handler ---------------------------------------------------------------------------


def _language_of(args: list[str]) -> str:
    """The language of this command line's messages, found without click (it may be what failed)."""
    flag, station = None, "."
    for index, arg in enumerate(args):
        value = args[index + 1] if index + 1 < len(args) else None
        if arg.startswith("--lang="):
            flag = arg.partition("=")[2]
        elif arg == "--lang" and value is not None:
            flag = value
        elif arg.startswith("--station="):
            station = arg.partition("=")[2]
        elif arg == "--station" and value is not None:
            station = value
    try:
        return choose_language(flag, Path(station))
    except Exception:  # noqa: BLE001 - the language must never stop an error from being shown
        return "en"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    _utf8_stdio()
    try:
        with children_die_with_us():  # SIGTERM stops like Ctrl+C, and no ffmpeg or player outlives us
            cli.main(args=args, prog_name="announcer", standalone_mode=False)
    except AnnouncerError as exc:
        if debug:
            raise
        tr = translator(_language_of(args))
        click.echo(f"{tr(_('error'))}: {tr.error(exc)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo(translator(_language_of(args))(_("aborted")), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(translator(_language_of(args))(_("interrupted")), err=True)
        sys.exit(130)
    except OSError as exc:
        if debug:
            raise
        tr = translator(_language_of(args))
        where = f"{exc.filename}: " if exc.filename else ""
        hint = " — " + tr(_("free some disk space and run it again")) if exc.errno == errno.ENOSPC else ""
        click.echo(f"{tr(_('error'))}: {where}{exc.strerror or exc}{hint}", err=True)
        sys.exit(74)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for staff
        if debug:
            raise
        tr = translator(_language_of(args))
        click.echo(tr(_("internal error: {what} — run again with --debug and report it",
                        what=f"{type(exc).__name__}: {exc}")), err=True)
        sys.exit(70)
