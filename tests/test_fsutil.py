"""The atomic, durable write helper: the order of the system calls is the promise.

A write in place, a rename without fsync of the data first, or a rename whose folder
is never fsynced can each lose or tear a file on a power cut, while the content
looks right in any test that only reads the file back. So these tests record the
real calls (wrapping os.fsync and os.replace, which still do their job) and check
fsync(file) < replace < fsync(folder).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from announcer import fsutil


class Calls:
    """Records fsync/replace calls in order; fsync events say whether the fd was a folder."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, object]] = []
        real_fsync, real_replace = os.fsync, os.replace

        def fsync(fd: int) -> None:
            info = os.fstat(fd)
            kind = "fsync-dir" if stat.S_ISDIR(info.st_mode) else "fsync-file"
            self.events.append((kind, (info.st_dev, info.st_ino)))
            real_fsync(fd)

        def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
            info = os.stat(src)
            self.events.append(("replace", (Path(src), Path(dst), (info.st_dev, info.st_ino))))
            real_replace(src, dst)

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def check_durable_publish(self, target: Path, beside: bool = True) -> None:
        """The data is fsynced, then renamed onto ``target``, then the folder is fsynced."""
        kinds = self.kinds()
        assert "replace" in kinds, f"{target} was written in place, not renamed into place: {kinds}"
        at = kinds.index("replace")
        _, (src, dst, inode) = self.events[at]
        assert Path(dst) == target
        if beside:
            assert Path(src).parent == target.parent, "the temp file must sit beside the target (same filesystem)"
        synced_before = [ident for kind, ident in self.events[:at] if kind == "fsync-file"]
        assert inode in synced_before, f"the data was not fsynced before the rename: {kinds}"
        folder = os.stat(target.parent)
        synced_after = [ident for kind, ident in self.events[at + 1:] if kind == "fsync-dir"]
        if os.name != "nt":
            assert (folder.st_dev, folder.st_ino) in synced_after, f"the folder was not fsynced after: {kinds}"
        # The published file is the one whose data was synced.
        final = os.stat(target)
        assert (final.st_dev, final.st_ino) == inode


def test_atomic_write_bytes_fsyncs_file_then_renames_then_fsyncs_folder(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "sub" / "aired.json"
    calls = Calls(monkeypatch)
    fsutil.atomic_write_bytes(target, b"{}")
    assert target.read_bytes() == b"{}"
    calls.check_durable_publish(target)
    assert [p.name for p in target.parent.iterdir()] == ["aired.json"], "no temp file left behind"


def test_atomic_write_text_replaces_existing_file_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "thong-bao.md"
    target.write_text("cũ\n", encoding="utf-8")
    calls = Calls(monkeypatch)
    fsutil.atomic_write_text(target, "Thông báo mới\n")
    assert target.read_text(encoding="utf-8") == "Thông báo mới\n"
    calls.check_durable_publish(target)


def test_replace_durably_publishes_a_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = tmp_path / ".build-x"
    stage.mkdir()
    src = stage / "out.mp3"
    src.write_bytes(b"ID3" + b"\0" * 100)
    target = tmp_path / "lich.mp3"
    calls = Calls(monkeypatch)
    fsutil.replace_durably(src, target)
    calls.check_durable_publish(target, beside=False)
    assert not src.exists()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "aired.json"
    target.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        fsutil.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["aired.json"]


def test_folder_fsync_is_skipped_on_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []
    monkeypatch.setattr(fsutil.os, "name", "nt")
    monkeypatch.setattr(fsutil.os, "open", lambda *a, **k: opened.append(a) or 0)
    fsutil.fsync_dir(tmp_path)
    assert opened == []


def test_folder_fsync_refused_by_the_filesystem_is_tolerated(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fd: int) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "fsync", refuse)
    fsutil.fsync_dir(tmp_path)  # no exception


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_written_files_are_readable_by_others_like_an_ordinary_write(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fsutil.atomic_write_bytes(tmp_path / "a.mp3", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.mp3").st_mode) == 0o644


# --- every writer goes through the helper ------------------------------------------------------------------


def test_speech_cache_entries_are_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.audio.pydub_compat import AudioSegment
    from announcer.cache import SpeechCache

    cache = SpeechCache(tmp_path / "speech")
    key = SpeechCache.key("espeak", "vi", "Kính thưa bà con.")
    calls = Calls(monkeypatch)
    cache.put(key, AudioSegment(data=b"\1\0" * 800, sample_width=2, frame_rate=16000, channels=1))
    calls.check_durable_publish(cache._path(key))
    assert cache.get(key) is not None


def test_imported_scripts_are_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.importer import import_notice

    src = tmp_path / "thong-bao.txt"
    src.write_text("THÔNG BÁO\nVề việc tiêm phòng dại cho chó, mèo\n\nĐề nghị các hộ gia đình đưa vật nuôi "
                   "đến nhà văn hóa tổ dân phố số 3 vào sáng thứ Bảy.\n", encoding="utf-8")
    calls = Calls(monkeypatch)
    result = import_notice(src, tmp_path / "scripts")
    calls.check_durable_publish(result.dest)


def test_generated_jingles_are_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from announcer.audio.jingles import write_wav

    calls = Calls(monkeypatch)
    write_wav(tmp_path / "intro.wav", np.zeros(1000))
    calls.check_durable_publish(tmp_path / "intro.wav")


def test_file_sink_copies_are_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from announcer.schedule.sinks import FileSink

    src = tmp_path / "thu.mp3"
    src.write_bytes(b"ID3" + b"\0" * 64)
    sink = FileSink(tmp_path / "aired", wait=lambda stop, s: False)
    calls = Calls(monkeypatch)
    assert sink.play(src, 0.0, threading.Event())
    [copy] = list((tmp_path / "aired").iterdir())
    calls.check_durable_publish(copy)


def test_the_last_valid_station_copy_is_written_durably(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from announcer.schedule.state import LAST_VALID_STATION, save_last_valid_station

    calls = Calls(monkeypatch)
    save_last_valid_station(tmp_path / ".state", 'name = "Đài phường"\n'.encode())
    calls.check_durable_publish(tmp_path / ".state" / LAST_VALID_STATION)
