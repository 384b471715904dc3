"""The kill-and-restart harness, short: 10 SIGKILLs of the player, 5 of `announcer build`.

The full run (50 and 30) is `python bench/chaos.py`; see its table in bench/README.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and the tmpfs faults are POSIX")
def test_short_kill_and_restart_rehearsal_loses_nothing(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "chaos.py"), "--player-kills", "10", "--build-kills", "5", "--quick",
         "--keep", str(tmp_path / "chaos")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )
    table = done.stdout
    log = tmp_path / "chaos" / "player.log"
    if done.returncode != 0 and log.exists():
        table += "\n--- player.log (end) ---\n" + log.read_text(encoding="utf-8", errors="replace")[-4000:]
    assert "player kills                                      10" in table, done.stderr[-3000:]
    assert "build kills                                        5" in table
    zeros = table.split("must be 0:")[1].splitlines()[1:]
    assert len(zeros) == 6 and all(line.split()[-1] == "0" for line in zeros), table
    assert done.returncode == 0, table + done.stderr[-3000:]
