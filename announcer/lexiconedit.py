"""Adding one reading to a station's lexicon.tsv (the console's click on a flagged word).

The new file must pass the rules ``announcer check`` applies to lexicon.tsv
(``textnorm.lexicon.parse_lexicon``) before it replaces the old one, atomically. A written form
already in the file has its line replaced; comments and the order of the other lines are kept.

Threads: ``LexiconBook`` is shared by the console's request threads; its lock makes one
read-change-write a single step.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from pathlib import Path

from announcer.errors import ConfigError
from announcer.fsutil import atomic_write_text
from announcer.i18n import _
from announcer.textnorm.lexicon import parse_lexicon

log = logging.getLogger(__name__)

MAX_FORM = 200


def _form(value: str, what: str) -> str:
    if any(unicodedata.category(c).startswith("C") for c in str(value).strip()):
        raise ConfigError(_("the {what} holds a character lexicon.tsv cannot keep", what=what),
                          hint=_("write it in plain letters, digits and punctuation"))
    text = unicodedata.normalize("NFC", " ".join(str(value).split()))
    if not text:
        raise ConfigError(_("the {what} is empty", what=what), hint=_("write how it is written and how it is read"))
    if len(text) > MAX_FORM:
        raise ConfigError(_("the {what} is longer than {n} characters", what=what, n=MAX_FORM))
    if text.startswith("#"):  # a comment line in lexicon.tsv
        raise ConfigError(_("the {what} holds a character lexicon.tsv cannot keep", what=what),
                          hint=_("write it in plain letters, digits and punctuation"))
    return text


class LexiconBook:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def add(self, written: str, spoken: str) -> None:
        """Pin the reading of ``written`` to ``spoken`` (ConfigError and no change when either is unusable)."""
        written = _form(written, _("written form"))
        spoken = _form(spoken, _("spoken form"))
        with self._lock:
            try:
                old = self.path.read_bytes().decode("utf-8-sig")
            except FileNotFoundError:
                old = ""
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(_("cannot read the lexicon: {reason}", reason=str(exc)), file=self.path,
                                  hint=_("save lexicon.tsv as UTF-8")) from None
            parse_lexicon(old, self.path)  # a broken file is said as check says it, not made worse
            lines = old.split("\n") if old else []
            if lines and lines[-1] == "":
                lines.pop()
            entry = f"{written}\t{spoken}"
            for index, line in enumerate(lines):
                parts = line.split("\t")
                if len(parts) == 2 and unicodedata.normalize("NFC", parts[0].strip()) == written:
                    lines[index] = entry
                    break
            else:
                lines.append(entry)
            new = "\n".join(lines) + "\n"
            parse_lexicon(new, self.path)
            atomic_write_text(self.path, new)
        log.info("lexicon: %s -> %s", written, spoken)
