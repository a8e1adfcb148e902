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
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    check_private(root)  # before creating anything in it
    folder = root.joinpath(*parts)
    if folder != root:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_private(folder)
    return folder


KEY_FILE = "cache.key"


def secret_key(folder: Path) -> bytes:
    """This user's 32-byte secret in `folder` (a private folder): it authenticates what caches store.

    Made at first use from `os.urandom`, written 0600 under a temporary name (`O_CREAT|O_EXCL`) and
    linked into place, so no reader sees half a key and concurrent first runs agree on one. Raises
    `UnsafeFolder` when the file is a link, not this user's, open to others or not 32 bytes: a key
    someone else could read or write would let them forge entries.
    """
    path = folder / KEY_FILE
    if not os.path.lexists(path):
        tmp = folder / f".{KEY_FILE}.{os.getpid()}"
        if os.path.lexists(tmp):  # left by a killed process that had this process id
            os.unlink(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
            import contextlib

            with contextlib.suppress(FileExistsError):  # another first run made it: that one is read
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeFolder(f"{path} is a link") from exc
        raise
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFolder(f"{path} is not a file")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise UnsafeFolder(f"the key {path} belongs to another user (uid {info.st_uid})")
        if info.st_mode & 0o077:
            raise UnsafeFolder(f"the key {path} is open to other users (mode {stat.S_IMODE(info.st_mode):o})")
        key = f.read(33)
    if len(key) != 32:
        raise UnsafeFolder(f"the key {path} is not 32 bytes long")
    return key
