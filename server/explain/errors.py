"""The one failure type of the explain pass: a short text a person can act on, never a traceback."""

from __future__ import annotations

from typing import Literal

ErrorKind = Literal[
    "disabled",  # [explain] is off or incomplete
    "tokenizer",  # the token vocabulary is missing
    "budget",  # even the smallest prompt exceeds max_prompt_tokens
    "unreachable",  # connection refused, DNS, TLS …
    "timeout",  # no answer within timeout_seconds
    "rate_limited",  # HTTP 429 after the retries
    "server",  # HTTP 5xx after the retries
    "rejected",  # HTTP 4xx: key, model name, request shape
    "bad_answer",  # not a chat completion, or an empty one
    "internal",  # a bug in Advisor, contained
]


class ExplainError(Exception):
    """Why there is no explanation. Returned (or raised) instead of text; `message` is for people."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message

    def __repr__(self) -> str:
        return f"ExplainError({self.kind!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExplainError) and (self.kind, self.message) == (other.kind, other.message)

    def __hash__(self) -> int:
        return hash((self.kind, self.message))
