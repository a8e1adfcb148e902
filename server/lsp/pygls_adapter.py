"""What the language server needs from pygls that pygls 2 offers no public API for, in one place.

Each function reaches into one private attribute of pygls' JSON-RPC protocol and says why it has to.
The end-to-end tests go through every one of them, so a pygls release that changes one fails the
tests rather than a user's editor. Nothing else in Advisor touches pygls' private names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsprotocol.types import ResponseError
    from pygls.protocol import JsonRPCProtocol


def send_json(protocol: JsonRPCProtocol, message: dict[str, Any]) -> None:
    """Write a message that is already in JSON form (diagnostics: see `convert`'s docstring).

    pygls' public `notify` takes protocol objects and runs them through its converter, which is what
    building diagnostics as dicts avoids on every keystroke; `_send_data` is the writer underneath it,
    with pygls' framing and its handling of a closed pipe."""
    protocol._send_data(message)


def send_error(protocol: JsonRPCProtocol, msg_id: Any, error: ResponseError) -> None:
    """Answer a request with an error without running a handler.

    A request whose params cannot be read never reaches a handler (whose exception pygls would send),
    yet the client waits for an answer; `_send_response` is how pygls itself answers."""
    protocol._send_response(msg_id, error=error)


def request_pending(protocol: JsonRPCProtocol, msg_id: Any) -> bool:
    """Whether a request the server is working on still waits for its answer.

    On `$/cancelRequest` pygls drops the request's future from `_request_futures`, but it can only stop
    a handler it runs as a task of its own; the workspace scan runs on under one of pygls' generator
    handlers and asks this between modules to stop early."""
    return msg_id in protocol._request_futures
