"""The disk store of command-line runs, keyed by content: parsed files (`iac/hcl_parse.py`), module
outcomes and whole reports (`engine/stored.py`), so that unchanged trees lint fast; and the sealed
store it is built on, which lark's parser tables use too (`hcl_lark`). A `Session` holds one
`DiskStore` when the store is on; nothing here is reached through a global but the folders opened.

Where: `advisor.paths.private_folder` (created 0700, refused when another user owns it, others may
write to it, or it is a link), so no other local user can plant or change an entry. The folder name
carries the program version and the entry format, so an upgrade never reads an old layout (format 3:
the first with authenticated entries; older entries, which were bare pickles, are never read).

What: pickles (fast, and outcomes are large graphs of dataclasses), each stored as
`MAC || pickle`, the MAC a keyed BLAKE2b-256 of the entry's name and the pickle, under this user's
secret key (`advisor.paths.secret_key`). The MAC is checked in constant time *before* anything is
unpickled: an entry this user's Advisor did not write, a changed byte, or an entry moved to another
name is a miss, never loaded. Keyed BLAKE2b runs at about 0.5-1 GB/s: about 1 ms per MB, a tenth
of the time unpickling an outcome of that size takes (a stored report, mostly one string, unpickles
about as fast as it is checked).

When the folder or the key cannot be used safely, the run goes on without that cache and says why
once (stderr on the command line, the log in the language server). Writes go through a temporary file
and `os.replace`, which keeps concurrent runs safe; a corrupt or unreadable entry is a miss.
`ADVISOR_NO_CACHE=1` turns the cache of results off (not the parser tables).
"""

from __future__ import annotations

import itertools
import os
import pickle

# `hmac.compare_digest` is this constant-time comparison; `hmac` itself would load OpenSSL first
from _operator import _compare_digest as compare_digest
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # the BLAKE2 module alone: `hashlib` loads OpenSSL first, a few milliseconds of every start
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

# 5: for expressions and splats, Resource.count_unknown; 6: Finding.alternatives; 7: one outcome record
_FORMAT = 7
MAC_SIZE = 32
_writes = itertools.count()  # temporary file names (tempfile would cost its import on every first run)
# Folder name → its sealed store (None when unusable), and the reasons already reported: facts of this
# process's user and folders, the same for every session, so they are worked out once per process.
_opened: dict[str, Sealed | None] = {}
_said: set[str] = set()


def _seal(key: bytes, name: str, data: bytes | memoryview) -> bytes:
    """The MAC of entry `name` holding `data`: keyed BLAKE2b-256 (the name binds an entry to its place)."""
    mac = blake2b(key=key, digest_size=MAC_SIZE)
    mac.update(name.encode("ascii", "replace") + b"\0")
    mac.update(data)
    return mac.digest()


@dataclass(frozen=True, slots=True)
class Sealed:
    """A private folder and this user's key: entries are read back only if this user wrote them."""

    folder: Path
    key: bytes

    def read(self, name: str) -> memoryview | None:
        """The data stored as `name`, or None when it is missing or its MAC does not match."""
        try:
            with open(self.folder / name[:2] / name, "rb") as f:
                entry = f.read()
        except OSError:
            return None
        if len(entry) < MAC_SIZE:
            return None
        view = memoryview(entry)
        body = view[MAC_SIZE:]
        return body if compare_digest(view[:MAC_SIZE], _seal(self.key, name, body)) else None

    def write(self, name: str, data: bytes) -> None:
        target = self.folder / name[:2]
        # a name no other writer uses (its process id, then a count; O_EXCL makes sure), renamed into place
        tmp = target / f".tmp-{os.getpid()}-{next(_writes)}"
        try:
            target.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(_seal(self.key, name, data))
                    f.write(data)
                os.replace(tmp, target / name)
            except OSError:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only or full disk only costs speed


def sealed(name: str) -> Sealed | None:
    """The sealed store in the private folder `name`, or None (said once) if it cannot be used safely."""
    if name in _opened:
        return _opened[name]
    from advisor.paths import UnsafeFolder, private_folder, secret_key

    store: Sealed | None = None
    try:
        store = Sealed(private_folder(name), secret_key(private_folder()))
    except (UnsafeFolder, OSError) as exc:
        _say_once(f"not using the cache: {exc}")
    _opened[name] = store
    return store


def _say_once(reason: str) -> None:
    """On stderr in a command (logging's last resort), in the log in the language server."""
    if reason not in _said:
        _said.add(reason)
        import logging

        logging.getLogger("advisor.cache").warning("advisor: %s", reason)


def digest(data: bytes) -> str:
    """A short content hash (file contents in stored outcomes' inputs)."""
    return blake2b(data, digest_size=16).hexdigest()


def key(kind: str, text: str) -> str:
    return blake2b(f"{kind}\0{text}".encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


class DiskStore:
    """Stored results of this program version and entry format (`_FORMAT`), in the private folder."""

    __slots__ = ("_sealed",)

    def __init__(self) -> None:
        from advisor import __version__

        self._sealed: Sealed | None = None
        if os.environ.get("ADVISOR_NO_CACHE", "") in ("", "0"):  # `ADVISOR_NO_CACHE=1`: turned off
            self._sealed = sealed(f"parse-v{__version__}-f{_FORMAT}")

    @property
    def usable(self) -> bool:
        return self._sealed is not None

    def load(self, digest: str) -> Any | None:
        data = self._sealed.read(digest) if self._sealed is not None else None
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, AttributeError, ValueError, ImportError, IndexError):
            return None  # written by this user, but by a version whose classes differ

    def exists(self, digest: str) -> bool:
        return self._sealed is not None and os.path.exists(self._sealed.folder / digest[:2] / digest)

    def store(self, digest: str, value: Any) -> None:
        self.store_pickled(digest, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def store_pickled(self, digest: str, data: bytes) -> None:
        """`store` of a value already pickled."""
        if self._sealed is not None:
            self._sealed.write(digest, data)


def reset() -> None:
    """Forget the folders opened and what was said (tests change the environment)."""
    _opened.clear()
    _said.clear()
