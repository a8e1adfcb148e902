"""Where the server's messages go: the client's `window/logMessage` and an optional log file.

stdout carries the protocol, so nothing else may write there: stray prints are caught and logged.
stderr stays quiet unless the client connection itself is gone or broken (`fatal`). Messages from
worker threads are handed to the event loop, the only thread that writes to the client.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import sys
import threading
import warnings
from collections.abc import Callable

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_MESSAGE = 20_000


class ClientLogHandler(logging.Handler):
    """Forwards records to the client once a connection and an event loop exist."""

    def __init__(self, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.send: Callable[[int, str], None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._local = threading.local()

    def attach(self, send: Callable[[int, str], None], loop: asyncio.AbstractEventLoop) -> None:
        self.send = send
        self.loop = loop
        self._loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if self.send is None or self.loop is None or getattr(self._local, "busy", False):
            return
        try:
            message = self.format(record)
        except Exception:  # a bad format string must not take the server down
            message = str(record.msg)
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + " …"
        if threading.get_ident() == self._loop_thread:
            self._deliver(record.levelno, message)
        elif not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self.loop.call_soon_threadsafe(self._deliver, record.levelno, message)

    def _deliver(self, level: int, message: str) -> None:
        if self.send is None:
            return
        self._local.busy = True
        try:
            self.send(level, message)
        except Exception:
            pass  # the client went away; the log file still has the message
        finally:
            self._local.busy = False


class _StdoutToLog(io.TextIOBase):
    """Replaces sys.stdout while serving: a print() anywhere must not corrupt the protocol stream."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        text = s.rstrip("\n")
        if text:
            self._logger.info("stdout: %s", text)
        return len(s)


def fatal(message: str) -> None:
    """Why the server is about to exit: to the log file and the client's log, and to stderr, which
    editors show when the server they started goes away."""
    logging.getLogger("advisor.lsp").error("%s", message)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"advisor serve: {message}\n")
        sys.stderr.flush()


def setup(log_file: str | None, client: ClientLogHandler) -> None:
    """Route every logger to the client (INFO and up) and to the log file (DEBUG with
    ADVISOR_LOG_LEVEL=debug, else INFO); pygls' own chatter is kept to warnings."""
    import os

    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    level = logging.DEBUG if os.environ.get("ADVISOR_LOG_LEVEL", "").lower() == "debug" else logging.INFO
    root.setLevel(level)
    client.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(client)
    if log_file:
        try:
            fh = logging.FileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            logging.getLogger("advisor.lsp").warning("cannot open log file %s: %s", log_file, exc)
        else:
            fh.setFormatter(logging.Formatter(LOG_FORMAT))
            fh.setLevel(level)
            root.addHandler(fh)
    for name in ("pygls", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    sys.stdout = _StdoutToLog(logging.getLogger("advisor.stdout"))
