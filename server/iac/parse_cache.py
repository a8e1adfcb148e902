"""An on-disk cache of parsed files, keyed by their content, so unchanged trees lint fast.

Parsing is most of a cold run's time. Entries are pickles of the parsed chunks, named by a hash of
the file text; the folder name carries the program version and the grammar, so an upgrade never reads
an old layout. Writes go through a temporary file and `os.replace`, which keeps concurrent runs safe;
a corrupt or unreadable entry is a miss. `ADVISOR_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

try:  # the BLAKE2 module alone: `hashlib` loads OpenSSL first, a few milliseconds of every start
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b
import os
import pickle
from pathlib import Path
from typing import Any

_FORMAT = 2
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
    try:
        import tempfile  # only writes need it

        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target / digest)
    except OSError:
        pass  # a read-only or full disk only costs speed


def reset() -> None:
    """Forget the folder and the on/off switch (tests change the environment)."""
    global _dir, _disabled
    _dir = None
    _disabled = None
