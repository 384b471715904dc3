"""Fixture stations that the tests write themselves (never ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from announcer.cli import main
from announcer.station_init import init_station

SCRIPT = """\
---
title: Thông báo thử nghiệm của phường
repeat: 2
---
Kính thưa bà con nhân dân trong phường.

Trạm y tế tổ chức khám sức khỏe cho người cao tuổi. Đề nghị bà con mang theo thẻ bảo hiểm.
"""


def make_station(root: Path, engines: str = '["espeak"]', script: str | None = SCRIPT) -> Path:
    """A station from `announcer init`, offline (espeak only), with one short script."""
    init_station(root)
    config = root / "station.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('engines = ["gtts", "espeak"]', f"engines = {engines}"),
        encoding="utf-8",
    )
    for example in (root / "scripts").glob("*.md"):
        example.unlink()
    if script is not None:
        (root / "scripts" / "thu.md").write_text(script, encoding="utf-8")
    return root


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the CLI in-process as a user would: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err
