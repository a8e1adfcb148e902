"""Where Advisor keeps files of its own on the user's machine, and the checks that make them safe to use.

Everything Advisor stores (parsed files, module outcomes, stored reports, LLM answers, parser tables, a
refreshed price snapshot) lives under one per-user folder. A repository never chooses it: the location
comes from the environment of the user who runs Advisor. The folder is created 0700 and refused when
another user owns it or others may write to it, so another local user cannot plant entries in it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class UnsafeFolder(Exception):
    """A folder Advisor would keep its files in is owned by someone else or writable by others."""


def cache_dir() -> Path:
    """`$ADVISOR_CACHE_DIR`, else `$XDG_CACHE_HOME/advisor`, else `~/.cache/advisor` (not created here)."""
    explicit = os.environ.get("ADVISOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "advisor"


def check_private(folder: Path) -> None:
    """Raise `UnsafeFolder` unless `folder` is a real folder (not a link), this user's, closed to others.

    Like git's `safe.directory`: what another user can write, this user must not load.
    """
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolder(f"{folder} is not a folder (a link or a file stands there)")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFolder(f"{folder} belongs to another user (uid {info.st_uid})")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafeFolder(f"{folder} can be written by other users (mode {stat.S_IMODE(info.st_mode):o})")


def private_folder(*parts: str) -> Path:
    """The per-user cache folder (or a sub-folder of it), created 0700 and checked before use.

    Raises `UnsafeFolder` when it, or the cache root, fails `check_private`, and `OSError` when it
    cannot be created. Callers treat both as "no cache" and say so once.
    """
    root = cache_dir()
    folder = root.joinpath(*parts)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(root)
    if folder != root:
        check_private(folder)
    return folder
