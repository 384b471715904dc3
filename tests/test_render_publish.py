"""Publishing a render: durable, MP3 before manifest, and no debris from interrupted builds."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from announcer import render
from announcer.config import load_station
from announcer.render import build_station, render_status, sweep_stale_staging
from tests.stations import make_station

SHORT = """\
---
title: Lịch cắt điện
---
Điện lực thông báo tạm ngừng cấp điện để bảo dưỡng đường dây.
"""


def _staging_folders(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "audio_out").glob(".build-*"))


def test_publish_moves_mp3_first_and_manifest_last_each_durably(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path, script=SHORT)
    station = load_station(root)
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        events.append(("fsync-dir" if stat.S_ISDIR(info.st_mode) else "fsync-file", str(info.st_ino)))
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append(("replace", Path(dst).name))
        events.append(("inode", str(os.stat(src).st_ino)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    [result] = build_station(station, [])
    assert result.error is None
    published = [name for kind, name in events if kind == "replace" and name.startswith("thu.")]
    assert published == ["thu.mp3", "thu.txt", "thu.json"], "MP3 first, manifest last"
    for name in published:
        at = events.index(("replace", name))
        inode = events[at + 1][1]
        assert ("fsync-file", inode) in events[:at], f"{name} was renamed before its data was fsynced"
        assert any(kind == "fsync-dir" for kind, _ in events[at + 2:]), f"folder not fsynced after {name}"
        # and the next file is only moved once this one is durable
        later = [i for i, (kind, n) in enumerate(events) if kind == "replace" and n in published and i > at]
        if later:
            assert any(kind == "fsync-dir" for kind, _ in events[at + 2:later[0]])


def test_build_interrupted_after_the_mp3_leaves_a_render_that_reads_stale(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A kill between publishing the MP3 and the manifest: the old manifest must not vouch for the new MP3."""
    root = make_station(tmp_path, script=SHORT)
    station = load_station(root)
    build_station(station, [])
    script = root / "scripts" / "thu.md"
    mp3 = root / "audio_out" / "thu.mp3"
    old_manifest = (root / "audio_out" / "thu.json").read_bytes()
    real = render.replace_durably

    def killed_after_mp3(src: Path, dst: Path) -> None:
        real(src, dst)
        if Path(dst).suffix == ".mp3":
            raise KeyboardInterrupt  # the process dies here

    # A forced rebuild whose audio differs: a slower reading of the same script, same fingerprint.
    monkeypatch.setattr(render, "replace_durably", killed_after_mp3)
    monkeypatch.setattr(station.audio, "bitrate_kbps", 64 if station.audio.bitrate_kbps != 64 else 96)
    fingerprint = json.loads(old_manifest)["fingerprint"]
    monkeypatch.setattr(render, "render_fingerprint", lambda *a, **k: fingerprint)
    with pytest.raises(KeyboardInterrupt):
        build_station(station, [], force=True)
    assert (root / "audio_out" / "thu.json").read_bytes() == old_manifest
    assert _staging_folders(root) == []
    assert render_status(station, script) == "stale", "old manifest vouches for a different MP3"
    monkeypatch.setattr(render, "replace_durably", real)
    build_station(station, [])
    assert render_status(station, script) == "fresh"
    assert json.loads((root / "audio_out" / "thu.json").read_text(encoding="utf-8"))["audio"]["bytes"] == \
        mp3.stat().st_size


def test_a_manifest_never_vouches_for_an_empty_or_truncated_mp3(tmp_path: Path) -> None:
    root = make_station(tmp_path, script=SHORT)
    station = load_station(root)
    build_station(station, [])
    script, mp3 = root / "scripts" / "thu.md", root / "audio_out" / "thu.mp3"
    assert render_status(station, script) == "fresh"
    good = mp3.read_bytes()
    mp3.write_bytes(good[: len(good) // 2])  # what a power cut can leave
    assert render_status(station, script) == "stale"
    mp3.write_bytes(b"")
    assert render_status(station, script) == "stale"
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF  # same size, other content
    mp3.write_bytes(bytes(flipped))
    assert render_status(station, script) == "stale"
    [result] = build_station(station, [])
    assert not result.skipped and render_status(station, script) == "fresh"


def test_interrupted_render_leaves_no_staging_folder_and_keeps_the_old_render(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_station(tmp_path, script=SHORT)
    station = load_station(root)
    build_station(station, [])
    before = (root / "audio_out" / "thu.mp3").read_bytes()

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "master_to_mp3", stop)
    # Else --force reuses the measured MP3 (published or kept in .cache/mastered).
    monkeypatch.setattr(render, "_reuse_mastered", lambda *args: None)
    monkeypatch.setattr(render, "_reuse_kept", lambda *args: None)
    with pytest.raises(KeyboardInterrupt):
        build_station(station, [], force=True)
    assert _staging_folders(root) == []
    assert (root / "audio_out" / "thu.mp3").read_bytes() == before


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True, timeout=60)
    return int(proc.stdout)


@pytest.mark.skipif(os.name != "posix", reason="pid liveness is only asked on POSIX; Windows goes by age")
def test_next_build_removes_staging_folders_of_killed_builds_only(tmp_path: Path) -> None:
    out = tmp_path / "audio_out"
    dead = out / f".build-{_dead_pid()}-abc123"
    mine = out / f".build-{os.getpid()}-busy"
    other_live = out / f".build-{os.getppid()}-busy"
    for folder in (dead, mine, other_live):
        folder.mkdir(parents=True)
        (folder / "program.wav").write_bytes(b"\0" * 4096)
    unrelated = out / ".keep-me"
    unrelated.mkdir()
    removed = sweep_stale_staging(out)
    assert removed == [dead]
    assert not dead.exists() and mine.exists() and other_live.exists() and unrelated.exists()
    # A folder of unknown owner (older naming) goes only once it is clearly abandoned.
    legacy = out / ".build-k2j3h4"
    legacy.mkdir()
    assert sweep_stale_staging(out) == []
    old = time.time() - render.STALE_STAGING_S - 60
    os.utime(legacy, (old, old))
    assert sweep_stale_staging(out) == [legacy]


def test_a_build_sweeps_debris_from_a_killed_build(tmp_path: Path) -> None:
    root = make_station(tmp_path, script=SHORT)
    debris = root / "audio_out" / f".build-{_dead_pid()}-x"
    debris.mkdir(parents=True)
    (debris / "out.mp3").write_bytes(b"\0" * 1000)
    build_station(load_station(root), [])
    assert _staging_folders(root) == []


def test_an_unreachable_loudness_target_is_an_error_naming_the_setting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-9 LUFS under a -8 dBTP ceiling: both within the allowed ranges, but speech has more
    than 1 dB between loudness and peaks. Exit non-zero, nothing published."""
    from tests.stations import run_cli

    root = make_station(tmp_path, script=SHORT)
    config = root / "station.toml"
    text = config.read_text(encoding="utf-8")
    assert "loudness_lufs = -16.0" in text and "true_peak_db = -1.5" in text
    config.write_text(text.replace("loudness_lufs = -16.0", "loudness_lufs = -9.0")
                      .replace("true_peak_db = -1.5", "true_peak_db = -8.0"), encoding="utf-8")
    code, _, err = run_cli(["--station", str(root), "build"], capsys)
    assert code != 0
    assert "cannot reach the loudness target: -9.0 LUFS with true peak at most -8.0 dBTP" in err
    assert "station.toml" in err and "loudness_lufs" in err
    assert not (root / "audio_out" / "thu.mp3").exists()
    assert _staging_folders(root) == []
