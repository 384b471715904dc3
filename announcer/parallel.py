"""Render several scripts at once, one per worker process (both cores of a small box).

Workers are started fresh ("spawn", as on Windows): a build may run inside a process
that has threads (the player), and a forked copy of those would inherit held locks.

Who owns what: the parent process owns the progress bar and the results; each worker
owns its own engine chains, jingle memory and espeak-ng handle (``_stores``, set once
by ``_start_worker`` and used only by that worker's single thread).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from announcer.config import Station
from announcer.errors import ConfigError, EngineError, RenderError, ScriptError

log = logging.getLogger(__name__)

_stores: Any = None


def default_jobs() -> int:
    import os

    return max(1, os.cpu_count() or 1)


def _start_worker(level: int) -> None:
    global _stores
    from announcer.render import Stores

    _stores = Stores()
    root = logging.getLogger("announcer")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)


def _render_one(station: Station, path: Path, engine: str | None) -> tuple[Any, str | None]:
    """(BuildResult, message of an error that must stop the whole build, or None)."""
    from announcer.render import BuildResult, is_fatal, render_script

    try:
        return render_script(station, path, engine=engine, stores=_stores), None
    except (ScriptError, RenderError, EngineError, ConfigError) as exc:
        return BuildResult(path, error=exc.marked()), (exc.message if is_fatal(station, exc) else None)
    except Exception as exc:  # noqa: BLE001 - one script's bug must not stop the others
        log.debug("rendering %s failed", path, exc_info=True)
        return BuildResult(path, error=f"{path}: internal error: {type(exc).__name__}: {exc}"), None


def render_parallel(station: Station, paths: list[Path], engine: str | None, jobs: int,
                    progress: Any = None) -> dict[Path, Any]:
    import concurrent.futures  # here, not at the top: a one-script build never starts a pool
    import multiprocessing

    jobs = max(1, min(jobs, len(paths)))
    results: dict[Path, Any] = {}
    fatal: str | None = None
    bar = progress(len(paths), f"{len(paths)} scripts, {jobs} at a time") if progress else None
    context = multiprocessing.get_context("spawn")
    level = logging.getLogger("announcer").getEffectiveLevel()
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                                                initargs=(level,)) as pool:
        try:
            if bar is not None:
                bar.__enter__()
            futures = {pool.submit(_render_one, station, path, engine): path for path in paths}
            for future in concurrent.futures.as_completed(futures):
                path = futures[future]
                try:
                    result, stop = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker died (killed, out of memory)
                    from announcer.render import BuildResult

                    result, stop = BuildResult(path, error=f"{path}: the worker rendering it stopped: {exc}"), None
                results[path] = result
                fatal = fatal or stop
                if bar is not None:
                    bar.update(1)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    if fatal:
        raise RenderError(fatal, file=station.audio_out,
                          hint="check that the folder exists, is writable and the disk is not full")
    return results
