"""``announcer init DIR``: a new station folder with the standard layout."""

from __future__ import annotations

from pathlib import Path

from announcer.audio.jingles import write_default_jingles
from announcer.errors import ConfigError
from announcer.i18n import _

STATION_TOML = """\
# Cấu hình đài truyền thanh — station settings. Edit, then run: announcer check
name = "Đài truyền thanh phường"
timezone = "Asia/Ho_Chi_Minh"
dialect = "north"                  # north (linh, nghìn) or south (lẻ, ngàn)
engines = ["gtts", "espeak"]       # first choice first; espeak works offline
intro = "jingles/intro.wav"        # default opening jingle ("" for none)
outro = "jingles/outro.wav"        # default closing jingle
language = "vi"                    # messages of announcer: vi (tiếng Việt) or en (English)

[espeak]
voice = "vi"                       # vi, vi-vn-x-central, vi-vn-x-south
rate = 150                         # words per minute

[gtts]
tld = "com.vn"
timeout = 10.0

[audio]
loudness_lufs = -16.0
true_peak_db = -1.5
bitrate_kbps = 128
write_wav = false

[player]
sink = "soundcard"                 # soundcard, "command:aplay {file}" or "file:DIR"
grace_minutes = 10

[[slot]]
name = "sang"
at = "06:00"
days = "daily"

[[slot]]
name = "chieu"
at = "17:00"
days = "daily"
"""

LEXICON_TSV = """\
# Từ điển riêng của đài: cách viết<TAB>cách đọc. Wins over the built-in list.
# Example (remove the # to use it):
# KP7\tkhu phố bảy
"""

EXAMPLE_SCRIPT = """\
---
title: Thông báo lịch tiêm chủng mở rộng tháng này
slots: [sang, chieu]
repeat: 2
---
Kính thưa bà con nhân dân trong phường.

Trạm Y tế phường tổ chức tiêm chủng mở rộng cho trẻ em dưới 5 tuổi vào ngày 15/12/2026, từ 7h30 đến 11h00.

Đề nghị phụ huynh mang theo sổ tiêm chủng và CCCD. Mọi thắc mắc xin liên hệ số điện thoại 0256.3861.234.
"""


def init_station(directory: Path) -> list[Path]:
    """Create the station layout in ``directory``; refuse to overwrite an existing station."""
    config = directory / "station.toml"
    if config.exists():
        raise ConfigError(_("a station already exists here"), file=config,
                          hint=_("choose an empty folder, or edit this station.toml"))
    created: list[Path] = []
    for sub in ("scripts", "jingles", "audio_out"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    config.write_text(STATION_TOML, encoding="utf-8")
    created.append(config)
    lexicon = directory / "lexicon.tsv"
    if not lexicon.exists():
        lexicon.write_text(LEXICON_TSV, encoding="utf-8")
        created.append(lexicon)
    jingles = directory / "jingles"
    if not (jingles / "intro.wav").exists() or not (jingles / "outro.wav").exists():
        created += write_default_jingles(jingles)
    example = directory / "scripts" / "vi-du-tiem-chung.md"
    if not any((directory / "scripts").glob("*.md")):
        example.write_text(EXAMPLE_SCRIPT, encoding="utf-8")
        created.append(example)
    created.append(directory / "audio_out")
    if _ignore_secrets(directory / ".gitignore"):
        created.append(directory / ".gitignore")
    return created


GITIGNORE_LINES = ("secrets.toml", "audio_out/", ".cache/", ".state/")
"""Never in git: service keys (secrets.toml), what a build can make again, and the station's state
(the player's memory, staff accounts and the console's signing key)."""


def _ignore_secrets(path: Path) -> bool:
    """Add the lines git must ignore to ``path`` (kept if it exists); True when it changed."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    have = {line.strip() for line in text.splitlines()}
    missing = [line for line in GITIGNORE_LINES if line not in have]
    if not missing:
        return False
    prefix = text if not text or text.endswith("\n") else text + "\n"
    path.write_text(prefix + "\n".join(missing) + "\n", encoding="utf-8")
    return True
