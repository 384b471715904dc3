"""The AnnouncerError family: every failure a user can fix, with where and how.

The CLI's one top-level handler turns these into a single line
``file:line: message. hint`` and an exit code; tracebacks only with --debug.

Messages and hints are English msgids marked with ``announcer.i18n._``; ``str(exc)`` is English,
``translator(lang).error(exc)`` the same line in the user's language (CLI and web alike).
"""

from __future__ import annotations

from pathlib import Path

from announcer.i18n import _


class AnnouncerError(Exception):
    """A problem the user can fix. Says where (file, line) and what to do (hint)."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint

    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        text = self.message
        where = self.location()
        if where:
            text = f"{where}: {text}"
        if self.hint:
            text = f"{text} — {self.hint}"
        return text

    def marked(self) -> str:
        """``str(self)``, kept translatable: where the error must travel as text (a build result, a plan
        warning), ``translator(lang)(exc.marked())`` still gives it in the user's language."""
        where = self.location()
        text = _("{where}: {message}", where=where, message=self.message) if where else self.message
        return _("{message} — {hint}", message=text, hint=self.hint) if self.hint else text


class ConfigError(AnnouncerError):
    """station.toml, lexicon.tsv or a CLI option is invalid."""

    exit_code = 2


class ScriptError(AnnouncerError):
    """A script file (scripts/*.md) is missing, unreadable or malformed."""

    exit_code = 3


class EngineError(AnnouncerError):
    """A speech engine is unknown, unavailable or failed for good."""

    exit_code = 4


class EngineUnavailable(EngineError):
    """The engine cannot run here at all (no network, no library)."""


class SynthesisError(EngineError):
    """One piece of text failed on one engine; the engine itself may still work."""


class RenderError(AnnouncerError):
    """Audio assembly, loudness processing or writing the output failed."""

    exit_code = 5


class NoticeImportError(AnnouncerError):
    """A notice could not be imported (unknown format, undecodable text)."""

    exit_code = 3


class ScheduleError(AnnouncerError):
    """The schedule or the player cannot go on."""

    exit_code = 6
