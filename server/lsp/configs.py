"""`.advisor.toml` for the language server: found per module, reloaded when it changes on disk or in
an open buffer, and never fatal — a broken file keeps the last good settings and reports where it
is broken.

A config that another user could have written is not read (the same check as the command line's), and
what a project's config may not set (`[explain]`) is ignored: both are said once, by `notice`, besides
the config file's diagnostic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from advisor.config import (
    Config,
    ConfigError,
    UntrustedConfig,
    check_config_owner,
    find_config,
    parse_config,
    read_config_text,
)

# (where the text came from, mtime or buffer version, size, owner, mode): owner and mode are in it so
# that a chown or chmod is noticed even when the content and mtime stay the same.
Stamp = tuple[str, int, int, int, int]
OnError = Callable[[str, "ConfigError | None"], None]


@dataclass(slots=True)
class _Entry:
    stamp: Stamp
    config: Config
    error: ConfigError | None


class ConfigStore:
    """Config per file path, checked against the file's size and mtime on every use (two stats)."""

    def __init__(
        self,
        known_rules: set[str],
        on_error: OnError,
        buffer_text: Callable[[str], tuple[int, str] | None],
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self._known = known_rules
        self._on_error = on_error
        self._buffer_text = buffer_text
        self._notice = notice
        self._noticed: set[str] = set()
        self._entries: dict[str, _Entry] = {}

    def for_directory(self, directory: str) -> Config:
        path = find_config(directory)
        return Config() if path is None else self.load(path)

    def load(self, path: str) -> Config:
        path = os.path.normpath(path)
        buffer = self._buffer_text(path)
        if buffer is not None:
            version, text = buffer
            stamp: Stamp = ("buffer", version, len(text), 0, 0)
        else:
            try:
                st = os.stat(path)
            except OSError:
                return self._forget(path)
            stamp, text = ("disk", st.st_mtime_ns, st.st_size, st.st_uid, st.st_mode), ""
        entry = self._entries.get(path)
        if entry is not None and entry.stamp == stamp:
            return entry.config
        previous = entry.config if entry is not None else Config()
        try:
            if buffer is None:
                text = read_config_text(path, named_hint=False)
            elif os.path.lexists(path):  # an open buffer of a file someone else could have written
                check_config_owner(path, named_hint=False)
            config = parse_config(path, text, self._known)
            error = None
        except ConfigError as exc:
            config, error = previous, exc
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            config, error = previous, ConfigError(path, None, f"cannot read: {exc}")
        self._entries[path] = _Entry(stamp, config, error)
        if error is not None or (entry is not None and entry.error is not None):
            self._on_error(path, error)
        if isinstance(error, UntrustedConfig):
            self._say_once(str(error))
        ignored = config.ignored_message() if error is None else None
        if ignored:
            self._say_once(ignored)
        return config

    def _say_once(self, message: str) -> None:
        """Tell the user (a window message); the same message once in the server's life."""
        if self._notice is not None and message not in self._noticed:
            self._noticed.add(message)
            self._notice(message)

    def _forget(self, path: str) -> Config:
        entry = self._entries.pop(path, None)
        if entry is not None and entry.error is not None:
            self._on_error(path, None)
        return Config()

    def cached(self, path: str) -> Config | None:
        entry = self._entries.get(os.path.normpath(path))
        return entry.config if entry is not None else None

    def error(self, path: str) -> ConfigError | None:
        entry = self._entries.get(os.path.normpath(path))
        return entry.error if entry is not None else None

    def invalidate(self, path: str | None = None) -> None:
        """Forget cached stamps so the next use re-reads (the last good config is kept)."""
        for p, entry in self._entries.items():
            if path is None or p == os.path.normpath(path):
                entry.stamp = ("stale", 0, 0, 0, 0)

    def set_known_rules(self, known: set[str]) -> None:
        self._known = known
