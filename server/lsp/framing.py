"""The stdio stream's framing, checked: a client that breaks it makes the server exit, not go deaf.

LSP frames each message with header lines (`Content-Length: N`, optionally `Content-Type`), each
ending in CRLF, a blank line, then N bytes of JSON. pygls reads stdio through a `readline()` and
`read(n)` pair and skips header lines it does not recognise, so one wrong byte count or stray line
leaves it reading the middle of a message as headers, or waiting for bytes that never come: alive,
answering nothing, for good, and the client has no reason to restart it. `FramedStdin` is the stream
pygls is given (`start_io` takes any object with that pair: no private API is involved). It checks
every header line and waits for a body only as long as its bytes keep coming; anything else is a
`FramingError`, which ends pygls' read loop, and `advisor serve` logs why and exits with status 1, so
the client starts a new server.

A body that is framed correctly but is not JSON (or not JSON-RPC) leaves the stream in step: pygls
logs it and reads the next message, and so does the server.
"""

from __future__ import annotations

import os
import re
import select
from typing import BinaryIO

MAX_HEADER_LINE = 8 * 1024
MAX_HEADERS = 32
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Once a message has begun, its bytes must keep coming: a client writes a message in one go, and the
# server reads as it writes. This long without a byte midway is a client that will never finish it.
STALL_SECONDS = 5.0
CHUNK = 64 * 1024

# exactly the form pygls recognises (any other spelling it would skip, and then wait forever)
_CONTENT_LENGTH = re.compile(rb"Content-Length: (\d+)\r\n")
_HEADER = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\t -~]*\r\n")


class FramingError(Exception):
    """The stream does not follow LSP's base protocol: the server cannot find the next message."""


class FramedStdin:
    """A binary stream for pygls' stdio reader that raises `FramingError` instead of losing step.

    Reads the file descriptor directly, so it can wait for the rest of a message with a time limit
    (`select`; where that does not work on pipes, as on Windows, a stalled message is waited for).
    """

    def __init__(self, stream: BinaryIO, stall_seconds: float = STALL_SECONDS) -> None:
        self._fd = stream.fileno()
        self._stall = stall_seconds
        self._can_wait = os.name == "posix"
        self._buffer = bytearray()
        self._headers = 0  # header lines read of the message in progress
        self._length: int | None = None  # its Content-Length
        self._body_next = False  # its blank line was read: `read` comes next

    # -- what pygls calls ------------------------------------------------------------------------------------
    def readline(self) -> bytes:
        """The next header line with its CRLF; b"" when the stream ends between two messages."""
        while (end := self._buffer.find(b"\n", 0, MAX_HEADER_LINE)) < 0:
            if len(self._buffer) >= MAX_HEADER_LINE:
                raise FramingError(f"a header line longer than {MAX_HEADER_LINE} bytes")
            if not self._fill():
                if self._buffer or self._headers:
                    raise FramingError("the stream ended in the middle of a message")
                return b""
        line = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        self._check(line)
        return line

    def read(self, n: int) -> bytes:
        """The body whose length the headers just gave."""
        if not self._body_next or n != self._length:
            raise FramingError(f"a body of {n} bytes read where the headers announced {self._length}")
        while len(self._buffer) < n:
            if not self._fill(n - len(self._buffer)):
                raise FramingError("the stream ended in the middle of a message")
        body = bytes(self._buffer[:n])
        del self._buffer[:n]
        self._headers, self._length, self._body_next = 0, None, False
        return body

    # -- checks --------------------------------------------------------------------------------------------
    def _check(self, line: bytes) -> None:
        if self._body_next:
            raise FramingError("a header line read where a body was due")
        if line == b"\r\n":
            if self._length is None:
                raise FramingError(
                    "a message without a Content-Length header" if self._headers else "an empty header line"
                )
            self._body_next = True
            return
        self._headers += 1
        if self._headers > MAX_HEADERS:
            raise FramingError(f"more than {MAX_HEADERS} header lines")
        if not _HEADER.fullmatch(line):
            raise FramingError(f"a malformed header line: {_shown(line)}")
        if line[:15].lower() != b"content-length:":
            return  # Content-Type, or anything else well formed: pygls ignores it too
        match = _CONTENT_LENGTH.fullmatch(line)
        if match is None:
            raise FramingError(f"a Content-Length that is not 'Content-Length: <bytes>': {_shown(line)}")
        if self._length is not None:
            raise FramingError("two Content-Length headers in one message")
        length = int(match.group(1))
        if not 0 < length <= MAX_MESSAGE_BYTES:
            raise FramingError(f"a Content-Length of {length} bytes (1 to {MAX_MESSAGE_BYTES} allowed)")
        self._length = length

    def _fill(self, wanted: int = CHUNK) -> bool:
        """Read what the stream has (False at its end); in mid-message, for at most `_stall` seconds."""
        if self._can_wait and (self._buffer or self._headers):
            ready, _, _ = select.select([self._fd], [], [], self._stall)
            if not ready:
                raise FramingError(
                    f"a message stopped arriving midway: no byte for {self._stall:g} s "
                    f"(Content-Length {self._length}, {len(self._buffer)} bytes of it received)"
                )
        chunk = os.read(self._fd, max(CHUNK, min(wanted, MAX_MESSAGE_BYTES)))
        self._buffer += chunk
        return bool(chunk)


def _shown(line: bytes) -> str:
    """A header line for a log message: short, and printable."""
    text = line[:80].decode("ascii", "backslashreplace")
    return repr(text + ("…" if len(line) > 80 else ""))
