"""Voice choice in the station's own terms: region (bac / trung / nam), sex (nu / nam) and speed.

Ward staff write ``voice = "trung-nu"`` in station.toml or ``voice: miền Trung, nữ`` in a
script; each engine lists its voices with region and sex (its ``catalog``), and the chain
keeps, in chain order, the engines that have a voice matching the choice. A voice name of
one engine (``vi-vn-x-south``, ``banmai``) still works as before: it picks that voice.

Speed is a factor (1 = normal, 0.7 slower, 1.3 faster); each engine turns it into its own
unit (espeak words per minute, FPT.AI -3..+3, Viettel 0.7-1.3).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from announcer.i18n import _

REGIONS = ("bac", "trung", "nam")
SEXES = ("nu", "nam")
REGION_LABEL = {"bac": "Bắc", "trung": "Trung", "nam": "Nam", None: "-"}
SEX_LABEL = {"nu": "nữ", "nam": "nam", None: "any"}
SPEED_RANGE = (0.5, 2.0)
"""Allowed speed factors (each engine clamps to what it can do)."""

EXAMPLES = '"trung-nu", "bac-nam", "nam-nu", "miền Trung, nữ", "giọng nam miền Bắc"'


@dataclass(frozen=True)
class VoiceInfo:
    """One voice of one engine, in the station's terms."""

    name: str
    """The engine's own name for it (sent to the engine, written in the manifest)."""
    region: str | None
    """bac, trung or nam; None when the voice has no regional accent to speak of."""
    sex: str | None
    """nu or nam; None when the engine's voice is neither (espeak): it matches either."""
    label: str = ""
    """How staff know it, e.g. "Ban Mai"."""


@dataclass(frozen=True)
class VoiceChoice:
    """What a station or a script asks for. All None: the engines' own defaults (as before)."""

    region: str | None = None
    sex: str | None = None
    name: str | None = None
    """An engine's own voice name, when that is what was written."""
    speed: float | None = None
    """A speed written inside the voice text ("trung-nu 1.2"); the ``speed`` setting otherwise."""

    @property
    def empty(self) -> bool:
        return self.region is None and self.sex is None and self.name is None

    def describe(self) -> str:
        if self.name:
            return self.name
        parts = []
        if self.sex:
            parts.append(f"giọng {SEX_LABEL[self.sex]}")
        if self.region:
            parts.append(f"miền {REGION_LABEL[self.region]}")
        return " ".join(parts) or _("any voice")


def _fold(text: str) -> str:
    """Lowercase without tone marks (đ -> d): "Miền Trung, NỮ" -> "mien trung, nu"."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


_REGION_WORDS = {
    "bac": "bac", "north": "bac", "northern": "bac", "hn": "bac", "ha noi": "bac", "hanoi": "bac",
    "trung": "trung", "central": "trung", "hue": "trung",
    "south": "nam", "southern": "nam", "hcm": "nam", "sg": "nam", "sai gon": "nam", "saigon": "nam",
}
_SEX_WORDS = {"nu": "nu", "female": "nu", "woman": "nu", "male": "nam", "man": "nam"}
_FILLER = {"giong", "doc", "voice", "phat", "thanh", "vien", "gioi"}
_REGION_MARK = {"mien", "vung"}
_SEX_MARK = {"giong"}
_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)?$")
_SPEED_WORDS = {"cham": 0.85, "slow": 0.85, "nhanh": 1.15, "fast": 1.15, "vua": 1.0, "normal": 1.0}


def parse_voice(text: str, known_names: Iterable[str] = ()) -> VoiceChoice:
    """The choice written in ``text``; ValueError saying what to write when it is not one.

    Accepts region-sex in either order, with or without tone marks and the words
    "miền"/"giọng" ("trung-nu", "nữ miền Trung", "giọng nam, miền Nam"), English
    (north/central/south, male/female), an optional speed ("trung-nu 1.2", "chậm"),
    and any engine's own voice name from ``known_names``.
    """
    raw = " ".join(str(text).split())
    if not raw:
        return VoiceChoice()
    names = {n.lower(): n for n in known_names}
    if raw.lower() in names:
        return VoiceChoice(name=names[raw.lower()])
    folded = _fold(raw)
    for phrase in ("ha noi", "sai gon"):
        folded = folded.replace(phrase, phrase.replace(" ", ""))
    tokens = [t for t in re.split(r"[\s,;/+_|()-]+", folded) if t]
    region: str | None = None
    sex: str | None = None
    speed: float | None = None
    ambiguous = 0  # "nam" with nothing to tell region from sex yet
    expect: str | None = None  # "region" after "miền", "sex" after "giọng"

    def set_region(value: str) -> None:
        nonlocal region
        if region is not None and region != value:
            raise ValueError(_("voice {voice!r} names two regions; write one of bac, trung, nam (e.g. {examples})",
                               voice=raw[:60], examples=EXAMPLES))
        region = value

    def set_sex(value: str) -> None:
        nonlocal sex
        if sex is not None and sex != value:
            raise ValueError(_("voice {voice!r} names two sexes; write nu or nam (e.g. {examples})",
                               voice=raw[:60], examples=EXAMPLES))
        sex = value

    for token in tokens:
        if token in _REGION_MARK:
            expect = "region"
            continue
        if token in _SEX_MARK and expect is None:
            expect = "sex"
            continue
        if token in _FILLER:
            continue
        if _NUMBER.match(token):
            speed = float(token.replace(",", "."))
            continue
        if token in _SPEED_WORDS:
            speed = _SPEED_WORDS[token]
            continue
        if token == "nam":
            if expect == "region":
                set_region("nam")
            elif expect == "sex":
                set_sex("nam")
            else:
                ambiguous += 1
            expect = None
            continue
        if token in _REGION_WORDS:
            set_region(_REGION_WORDS[token])
        elif token in _SEX_WORDS:
            set_sex(_SEX_WORDS[token])
        else:
            if names:
                raise ValueError(_("unknown voice {voice!r}: {word!r} is not a region (bac, trung, nam) or a sex "
                                   "(nu, nam); e.g. {examples}; voices of the engines: {names}", voice=raw[:60],
                                   word=token[:30], examples=EXAMPLES, names=", ".join(sorted(names.values()))))
            raise ValueError(_("unknown voice {voice!r}: {word!r} is not a region (bac, trung, nam) or a sex "
                               "(nu, nam); e.g. {examples}", voice=raw[:60], word=token[:30], examples=EXAMPLES))
        expect = None
    # "nam" alone is either; next to the other half it is the missing half; "nam-nam" is both.
    for _turn in range(ambiguous):
        if region is None and (sex is not None or ambiguous == 2):
            region = "nam"
        elif sex is None and region is not None:
            sex = "nam"
        elif region is None and sex is None:
            raise ValueError(_('voice {voice!r}: "nam" can be the region (miền Nam) or the sex (giọng nam); '
                               'write "nam-nu", "bac-nam", "miền Nam" or "giọng nam"', voice=raw[:60]))
        else:
            raise ValueError(_("voice {voice!r} says nam once too often; e.g. {examples}", voice=raw[:60],
                               examples=EXAMPLES))
    if speed is not None and not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise ValueError(_("voice {voice!r}: speed {speed} is out of range; use {low} to {high} (1 is normal)",
                           voice=raw[:60], speed=f"{speed:g}", low=f"{SPEED_RANGE[0]:g}", high=f"{SPEED_RANGE[1]:g}"))
    if region is None and sex is None and speed is None:
        raise ValueError(_("voice {voice!r} names no region or sex; e.g. {examples}", voice=raw[:60],
                           examples=EXAMPLES))
    return VoiceChoice(region=region, sex=sex, speed=speed)


def matches(choice: VoiceChoice, voice: VoiceInfo) -> bool:
    """Whether ``voice`` is what ``choice`` asks for (a sex-less voice serves either sex)."""
    if choice.name is not None:
        return voice.name.lower() == choice.name.lower()
    if choice.region is not None and voice.region != choice.region:
        return False
    return choice.sex is None or voice.sex is None or voice.sex == choice.sex


def pick(choice: VoiceChoice, catalog: Sequence[VoiceInfo]) -> VoiceInfo | None:
    """The engine's first voice (its catalog lists its default first) that matches, else None."""
    return next((v for v in catalog if matches(choice, v)), None)


def all_voice_names(catalogs: Iterable[Sequence[VoiceInfo]]) -> list[str]:
    return [v.name for catalog in catalogs for v in catalog]


def chain_problem(choice: VoiceChoice, chain: Sequence[tuple[str, Sequence[VoiceInfo]]]) -> str | None:
    """Why no engine of ``chain`` (name, catalog) can serve ``choice``, or None when one can."""
    if choice.empty or any(pick(choice, catalog) for _, catalog in chain):
        return None
    names = ", ".join(name for name, _voice in chain) or "none"
    return f"no engine of the chain ({names}) has {choice.describe()}"


def check_speed(speed: float) -> str | None:
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        return f"speed {speed:g} is out of range; use {SPEED_RANGE[0]:g} to {SPEED_RANGE[1]:g} (1 is normal)"
    return None


def catalogs(engine_names: Iterable[str]) -> list[tuple[str, tuple[VoiceInfo, ...]]]:
    """(name, catalog) of each known engine among ``engine_names``, in their order."""
    from announcer.engines import ENGINES  # here: the engines import the config, which imports us lazily

    return [(n, ENGINES[n].catalog) for n in engine_names if n in ENGINES]


def known_names() -> list[str]:
    from announcer.engines import ENGINES

    return all_voice_names(cls.catalog for cls in ENGINES.values())


def voice_problem_for_chain(text: str, engine_names: Sequence[str]) -> str | None:
    """What is wrong with voice ``text`` for a chain of ``engine_names``, or None (the rule of
    station.toml, script front matter and ``check`` alike)."""
    try:
        choice = parse_voice(text, known_names())
    except ValueError as exc:
        return str(exc)
    if choice.name is not None:
        chain = catalogs(engine_names)
        if not any(pick(choice, catalog) for _, catalog in chain):
            return f"voice {choice.name!r} belongs to no engine of the chain ({', '.join(engine_names)})"
        return None
    return chain_problem(choice, catalogs(engine_names))
