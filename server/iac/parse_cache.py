"""The on-disk cache of command-line runs, keyed by content: parsed files, module outcomes and whole
reports (see `engine` and `report/stored.py`), so that unchanged trees lint fast.

Entries are pickles named by a hash of what decides them; the folder name carries the program version
and the entry format, so an upgrade never reads an old layout. Writes go through a temporary file and
`os.replace`, which keeps concurrent runs safe; a corrupt or unreadable entry is a miss.
`ADVISOR_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import itertools
import os
import pickle
from pathlib import Path
from typing import Any

try:  # the BLAKE2 module alone: `hashlib` loads OpenSSL first, a few milliseconds of every start
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

_FORMAT = 2
_writes = itertools.count()  # temporary file names (tempfile would cost its import on every first run)
_dir: Path | None = None
_disabled: bool | None = None


def _folder() -> Path | None:
    global _dir, _disabled
    if _disabled is None:
        _disabled = os.environ.get("ADVISOR_NO_CACHE", "") not in ("", "0")
    if _disabled:
        return None
    if _dir is None:
        from advisor import __version__
        from advisor.paths import cache_dir

        _dir = cache_dir() / f"parse-v{__version__}-f{_FORMAT}"
    return _dir


def digest(data: bytes) -> str:
    """A short content hash (file contents in stored outcomes' inputs)."""
    return blake2b(data, digest_size=16).hexdigest()


def key(kind: str, text: str) -> str:
    return blake2b(f"{kind}\0{text}".encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def load(digest: str) -> Any | None:
    folder = _folder()
    if folder is None:
        return None
    try:
        with open(folder / digest[:2] / digest, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError, IndexError):
        return None


def exists(digest: str) -> bool:
    folder = _folder()
    return folder is not None and os.path.exists(folder / digest[:2] / digest)


def store(digest: str, value: Any) -> None:
    store_pickled(digest, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def store_pickled(digest: str, data: bytes) -> None:
    """`store` of a value already pickled."""
    folder = _folder()
    if folder is None:
        return
    target = folder / digest[:2]
    # a name no other writer uses (its process id, then a count; O_EXCL makes sure), renamed into place
    tmp = target / f".tmp-{os.getpid()}-{next(_writes)}"
    try:
        target.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target / digest)
        except OSError:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only or full disk only costs speed


def reset() -> None:
    """Forget the folder and the on/off switch (tests change the environment)."""
    global _dir, _disabled
    _dir = None
    _disabled = None
