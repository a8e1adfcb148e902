"""Keep secrets out of the explain prompt.

The prompt leaves the machine, so three layers remove what must not: (1) the value expressions of
attributes whose names look secret (passwords, tokens, keys, `user_data` …) or that read a variable
declared `sensitive = true`, found through the exact spans the front-end recorded; (2) a line-based
pass over the block for attribute lines the first layer could not see (inside `jsonencode`, dynamic
blocks, unparsed text); (3) every known secret *value* (sensitive variables' defaults, tfvars and
`--var` values, the resolved values of redacted attributes) scrubbed wherever it still appears.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from advisor.model import Block, Resource, Value

REDACTED = '"<redacted>"'
REDACTED_BARE = "<redacted>"

# Attribute and key names whose values must not leave the machine.
SENSITIVE_NAME = re.compile(
    r"""(?ix)
    passw(?:or)?d | passphrase | (?:^|[_-])pwd$
    | secret | token | credential
    | (?:private|api|access|signing|encryption|secret|master|client)[_-]?key
    | (?:^|[_-])keys?$
    | user[_-]?data
    | connection[_-]?string | (?:^|[_-])dsn$
    """
)
_VAR_REF = re.compile(r"\bvar\.([A-Za-z_][\w-]*)")
_SENSITIVE_CALL = re.compile(r"\bsensitive\s*\(")
# Secret values shorter than this are not scrubbed as text: "gp2" or "on" would mangle the prompt.
MIN_SCRUB_LENGTH = 4
MIN_SCRUB_LINE = 8


def is_sensitive_name(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


@dataclass(slots=True)
class Secrets:
    """What must not appear in a prompt: names of sensitive variables and known secret values."""

    variables: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)

    def add_value(self, value: Any) -> None:
        for text in _flatten(value):
            if len(text) >= MIN_SCRUB_LENGTH:
                self.values.add(text)

    def merged(self, other: Secrets) -> Secrets:
        return Secrets(self.variables | other.variables, self.values | other.values)


def _flatten(value: Any) -> Iterator[str]:
    """String leaves of a value (numbers are left alone: scrubbing "1000" would garble the facts)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, str):
        yield value
        for line in value.splitlines():  # a key or script may be quoted one line at a time
            if len(line.strip()) >= MIN_SCRUB_LINE:
                yield line.strip()
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from _flatten(v)


def secrets_of(variables: set[str], values: set[str]) -> Secrets:
    """The secrets an analysis found: the variables declared `sensitive = true` in the module tree
    and every string they take (defaults, `.tfvars`, `--var`, module arguments), as the front-end
    evaluated them (`Analysis.sensitive_variables`, `Analysis.sensitive_values`)."""
    secrets = Secrets(set(variables))
    for value in values:
        secrets.add_value(value)
    return secrets


def _is_bool_literal(expr: str) -> bool:
    return expr.strip().strip('"') in ("true", "false")


def _reads_secret(expr: str, secrets: Secrets) -> bool:
    if _SENSITIVE_CALL.search(expr):
        return True
    return any(m.group(1) in secrets.variables for m in _VAR_REF.finditer(expr))


def _value_ranges(value: Value, name: str, text: str, secrets: Secrets) -> Iterator[tuple[int, int]]:
    span = value.span
    if span is None or span.start < 0 or span.end > len(text) or span.start >= span.end:
        return
    expr = text[span.start : span.end]
    if is_sensitive_name(name) and not _is_bool_literal(expr):
        secrets.add_value(value.value)
        yield span.start, span.end
        return
    # An object or tuple literal: redact only the elements that need it, unless the secret is read
    # outside them (a computed key), in which case the whole value goes.
    inner: list[tuple[int, int]] = []
    elements = value.elements
    if isinstance(elements, dict):
        for key, element in elements.items():
            inner.extend(_value_ranges(element, str(key), text, secrets))
    elif isinstance(elements, list):
        for element in elements:
            inner.extend(_value_ranges(element, "", text, secrets))
    rest = expr
    for a, b in sorted(inner, reverse=True):
        rest = rest[: a - span.start] + rest[b - span.start :]
    if _reads_secret(rest, secrets):
        secrets.add_value(value.value)
        yield span.start, span.end
        return
    yield from inner


def _block_ranges(block: Block, path: str, text: str, secrets: Secrets) -> Iterator[tuple[int, int]]:
    for name, value in block.attributes.items():
        if value.span is not None and value.span.path != path:
            continue
        yield from _value_ranges(value, name, text, secrets)
    for child in block.blocks:
        yield from _block_ranges(child, path, text, secrets)


def redact_resource(resource: Resource, text: str, secrets: Secrets) -> tuple[str, int]:
    """The resource's source text with secret values replaced, and its first line (0-based).

    `secrets` gains the resolved values of every attribute redacted here, so the final scrub also
    removes them if they are repeated elsewhere (a comment, a tag, the finding's own facts).
    """
    span = resource.span
    start = max(0, span.start)
    line_start = text.rfind("\n", 0, start) + 1
    if not text[line_start:start].strip():  # keep the first line's indentation (YAML, nested blocks)
        start = line_start
    end = min(len(text), span.end) if span.end >= 0 else len(text)
    ranges = sorted(
        (max(a, start), min(b, end))
        for a, b in _block_ranges(resource.body, span.path, text, secrets)
        if b > start and a < end
    )
    pieces: list[str] = []
    cursor = start
    for a, b in ranges:
        if a < cursor:  # nested inside a range already replaced
            continue
        pieces.append(text[cursor:a])
        pieces.append(REDACTED + "\n" * text.count("\n", a, b))  # keep the file's line numbers
        cursor = b
    pieces.append(text[cursor:end])
    block = "".join(pieces)
    return redact_lines(block, secrets), text.count("\n", 0, start)


_ATTRIBUTE_LINE = re.compile(
    r"""^(?P<lead>\s*)(?P<q>"?)(?P<name>[A-Za-z_][\w.-]*)(?P=q)(?P<sep>\s*[=:]\s*)(?P<value>.*?)(?P<tail>\s*,?\s*)$"""
)
_HEREDOC = re.compile(r"^<<-?\s*([A-Za-z_]\w*)\s*$")


def redact_lines(block: str, secrets: Secrets | None = None) -> str:
    """Line-based second layer: `name = value` / `"name": value` lines with a secret-looking name."""
    lines = block.split("\n")
    out: list[str] = []
    skip_until: str | None = None
    for line in lines:
        if skip_until is not None:
            if line.strip() == skip_until:
                skip_until = None
            out.append("")  # keep the file's line numbers
            continue
        m = _ATTRIBUTE_LINE.match(line)
        if m and is_sensitive_name(m.group("name")):
            value = m.group("value")
            heredoc = _HEREDOC.match(value)
            if heredoc:
                skip_until = heredoc.group(1)
            if heredoc or (
                value
                and REDACTED not in value
                and not _is_bool_literal(value)
                and value not in ("{", "[", "(")
            ):
                line = f"{m.group('lead')}{m.group('q')}{m.group('name')}{m.group('q')}{m.group('sep')}"
                line += REDACTED + m.group("tail")
        out.append(line)
    text = "\n".join(out)
    if secrets is None:
        return redact_values(text)
    found: set[str] = set()
    text = redact_values(scrub(text, secrets.values), found)
    secrets.values.update(v for v in found if len(v) >= MIN_SCRUB_LINE)
    return text


def scrub(text: str, values: Iterable[str]) -> str:
    """Third layer: remove every known secret value wherever it still appears (longest first)."""
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= MIN_SCRUB_LENGTH and value in text:
            text = text.replace(value, REDACTED_BARE)
    return text


# -- fourth layer: secrets recognised by their value, under any name ------------------------------------
# A hand-kept table rather than detect-secrets: see docs/architecture.md ("server/explain/") for why.


@dataclass(frozen=True, slots=True)
class Hit:
    """A secret found in a text: `text[start:end]` is replaced by `marker(kind)`."""

    start: int
    end: int
    kind: str


def marker(kind: str) -> str:
    """What replaces a secret found by its value: says what it was, so the explanation still reads."""
    return f"<redacted: {kind}>"


# Well-known token formats, most specific first; each regex matches the secret itself.
TOKEN_FORMATS: tuple[tuple[str, str], ...] = (
    # A whole PEM block (real or `\n`-escaped newlines), or from its header to the end of what
    # looks like key material when the END line was trimmed away.
    (
        "private key",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:(?:(?!-----BEGIN).)*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"|(?:[A-Za-z0-9+/=:,.\s-]|\\[nr])*)",
    ),
    ("AWS access key id", r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![\w])"),
    ("GitHub token", r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_\w{60,255})"),
    ("GitLab token", r"(?<![A-Za-z0-9_])gl(?:pat|dt|rt|ptt|ft|cbt|imt|soat|oas|agent)-[\w-]{20,}"),
    ("Slack token", r"(?<![A-Za-z0-9])(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})"),
    (
        "Slack webhook",
        r"(?:(?<=hooks\.slack\.com/services/)|(?<=hooks\.slack\.com/workflows/)"
        r"|(?<=hooks\.slack\.com/triggers/))[A-Za-z0-9/_-]+",
    ),
    ("Stripe key", r"(?<![A-Za-z0-9])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/]{20,})"),
    ("Google API key", r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}"),
    ("Google OAuth client secret", r"(?<![A-Za-z0-9])GOCSPX-[A-Za-z0-9_-]{20,}"),
    ("Anthropic key", r"(?<![A-Za-z0-9])sk-ant-[A-Za-z0-9_-]{20,}"),
    ("OpenAI key", r"(?<![A-Za-z0-9])sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}"),
    ("SendGrid key", r"(?<![A-Za-z0-9])SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    ("Twilio key", r"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"),
    ("npm token", r"(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("PyPI token", r"(?<![A-Za-z0-9])pypi-AgE[A-Za-z0-9_-]{50,}"),
    ("Hugging Face token", r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{34,}"),
    (
        "HashiCorp token",
        r"(?<![A-Za-z0-9])(?:hv[sbr]\.[A-Za-z0-9_-]{24,}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,})",
    ),
    ("DigitalOcean token", r"(?<![A-Za-z0-9])do[opr]_v1_[a-f0-9]{64}"),
    ("Shopify token", r"(?<![A-Za-z0-9])shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("Databricks token", r"(?<![A-Za-z0-9])dapi[a-f0-9]{32}(?![A-Za-z0-9])"),
    ("Mailgun key", r"(?<![A-Za-z0-9])key-[0-9a-f]{32}(?![A-Za-z0-9])"),
    ("Square token", r"(?<![A-Za-z0-9])sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}"),
    ("Atlassian token", r"(?<![A-Za-z0-9])ATATT3[A-Za-z0-9_=-]{60,}"),
    (
        "Azure client secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
    ),
    ("JSON web token", r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
)
_TOKENS = tuple((kind, re.compile(pattern, re.DOTALL)) for kind, pattern in TOKEN_FORMATS)
# A format is looked for only in a text holding one of its literals (most texts hold none).
_TOKEN_LITERAL = re.compile(
    r"PRIVATE KEY|AKIA|ASIA|ABIA|ACCA|A3T|gh[pousr]_|github_pat_|gl[a-z]{1,5}-|xox|xapp-|hooks\.slack"
    r"|[sr]k_|whsec_|AIza|GOCSPX-|sk-|SG\.|SK|npm_|pypi-|hf_|hv[sbr]\.|atlasv1|_v1_|shp|dapi|key-|sq0"
    r"|ATATT3|\dQ~|eyJ"
)

# `scheme://user:secret@host`: the secret goes, the scheme, user and host stay.
_URL_CREDENTIALS = re.compile(
    r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/?#@\"'`<>]*:(?P<secret>[^\s/@\"'`<>]+)@"
)
# `Password=…;`, `DB_PASSWORD=…`, `"token": "…"`, `AccountKey=…`, `sig=…` inside any text (connection
# strings, query strings, shell lines in heredocs, comments, JSON kept in strings).
_KEYWORD = (
    r"passw(?:or)?d|passwd|pwd|passphrase|secret|token"
    r"|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key"
)
_KEY_VALUE = re.compile(
    rf"""(?ix)
    (?P<key> (?:{_KEYWORD})s? | AccountKey | SharedAccessKey | SharedAccessSignature
      | (?<![A-Za-z0-9])sig | _authToken | _auth )
    \\?["']?[ \t]*[=:][ \t]*\\?["']?
    (?P<secret>[^\s"'`\\;,<>()\[\]{{}}]+)
    """
)
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9])(?:Bearer|Basic|token)[ \t]+(?P<secret>[A-Za-z0-9._~+/=-]{16,})")
# Not secrets although they sit where one may: references, interpolations, CloudFormation intrinsics.
_REFERENCE = re.compile(
    r"^(?:[$!%<]|\{\{|arn:|(?:var|local|data|module|each|count|self|path|terraform)\.)"
    r"|^(?:true|false|null|none|nil|yes|no|required|optional|string|number|bool|sensitive|redacted)$",
    re.IGNORECASE,
)
# `token: nextToken`, `password = random_password.db.result`: code naming a secret, not one.
_NAMES_A_SECRET = re.compile(_KEYWORD, re.IGNORECASE)
_DOTTED_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_*][\w-]*|\[[^\]]*\])+$")

# Generic high-entropy strings: runs of base64 / URL-safe characters, judged by `_looks_random`.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{20,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_WORDISH = re.compile(r"[A-Z]?[a-z]{3,}|[A-Z]{4,}|[0-9]{4,}")
_SEPARATORS = re.compile(r"[-_/.]")
_AWS_ID = re.compile(r"^(?:[a-z0-9]{1,12}-)+[0-9a-f]{8,17}$")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Digests are not secrets where the text says they are: after `sha256:`, `@`, `ref=`, or as the value
# of a hash-like attribute. Hex strings of exactly DIGEST_LENGTHS digits (SHA-1 and SHA-256: git
# commits, image digests, certificate thumbprints, S3 content hashes) are kept everywhere.
_HEX_DIGEST_BEFORE = re.compile(r"(?:sha(?:1|256|384|512)?|md5|ref|rev|commit|digest)[:=]$|[@/:]$", re.I)
_DIGEST_BEFORE = re.compile(r"(?:sha(?:1|256|384|512)|md5|digest)[:=]$", re.IGNORECASE)
_DIGEST_NAME = re.compile(r"hash|digest|checksum|thumbprint|fingerprint|etag|sha|md5|commit|revision", re.I)
_LINE_NAME = re.compile(r"""^\s*(?:-\s*)?["']?([A-Za-z_][\w.-]*)["']?\s*[=:]""")
DIGEST_LENGTHS = (40, 64)
MIN_RANDOM_LENGTH = 20
MIN_HEX_LENGTH = 32


def _entropy(text: str) -> float:
    """Shannon entropy of the text's characters, in bits per character."""
    n = len(text)
    counts: dict[str, int] = {}
    for c in text:
        counts[c] = counts.get(c, 0) + 1
    return -sum(k / n * math.log2(k / n) for k in counts.values())


def _looks_random(token: str) -> bool:
    """Whether a run of base64 characters is a key rather than a name, a path or an id.

    Names are told apart by their words (CamelCase and snake_case parts with vowels in them), their
    separators (`-`, `_`, `/` at least one in eight characters) and their lower entropy. Measured on
    the 127,000 runs of 20 or more such characters in 4,700 public Terraform and CloudFormation files
    (3 flagged that were not keys) and on random strings (flagged: 92% at 20 characters, 98% at 32,
    99% at 40, over 99.7% at 64).
    """
    token = token.rstrip("=")
    n = len(token)
    if n < MIN_RANDOM_LENGTH or _AWS_ID.match(token) or _UUID.search(token):
        return False
    if len(_SEPARATORS.findall(token)) * 8 >= n:
        return False
    letters = [c for c in token if c.isalpha()]
    if not (any(c.isupper() for c in letters) and any(c.islower() for c in letters)):
        # One case only: a key in lower-case base36, with no separators and a mix of digits.
        digits = n - len(letters)
        return (
            token.isalnum() and n >= 24 and 0.2 <= digits / n <= 0.8 and _entropy(token) / math.log2(n) >= 0.8
        )
    if _entropy(token) / math.log2(n) < 0.78:
        return False
    wordish = sum(len(m.group(0)) for m in _WORDISH.finditer(token)) / n
    vowels = sum(c in "aeiouAEIOU" for c in letters) / len(letters)
    if wordish >= 0.6 or (wordish >= (0.4 if n < 32 else 0.5) and vowels >= 0.3):
        return False
    return any(c.isdigit() or c in "+/" for c in token) or vowels < 0.25


def _line_before(text: str, start: int) -> str:
    return text[text.rfind("\n", 0, start) + 1 : start]


def _hash_attribute(before: str) -> bool:
    name = _LINE_NAME.match(before)
    return bool(name and _DIGEST_NAME.search(name.group(1)))


def _is_hex_key(text: str, start: int, token: str) -> bool:
    """A hex string of key length that is not written where a digest belongs."""
    if len(token) < MIN_HEX_LENGTH or len(token) in DIGEST_LENGTHS or _entropy(token) < 3.0:
        return False
    before = _line_before(text, start)
    return not (_HEX_DIGEST_BEFORE.search(before) or _hash_attribute(before))


def _is_random_key(text: str, start: int, token: str) -> bool:
    if not _looks_random(token):
        return False
    before = _line_before(text, start)
    return not (_DIGEST_BEFORE.search(before) or _hash_attribute(before))


def _names_a_secret(value: str) -> bool:
    return bool(_NAMES_A_SECRET.search(value) or _DOTTED_REFERENCE.match(value) or _REFERENCE.search(value))


def _word_before(text: str, start: int, reach: int) -> str:
    """The run of text without spaces or quotes that ends at `start`."""
    return re.split(r"[\s\"'`]", text[max(0, start - reach) : start])[-1]


def _inside_reference(text: str, start: int) -> bool:
    """Inside an ARN (`…:secret:prod/db`) or `{{resolve:secretsmanager:…:SecretString:password}}`."""
    if "arn:" in _word_before(text, start, 120):
        return True
    opened = text.rfind("{{resolve:", max(0, start - 200), start)
    return opened >= 0 and text.find("}}", opened, start) < 0


def _kind_of_key(key: str) -> str:
    key = key.lower()
    if "pass" in key or "pwd" in key:
        return "password"
    if "token" in key or "auth" in key:
        return "token"
    if key == "sig" or "signature" in key:
        return "signature"
    return "secret" if "secret" in key else "key"


def find_secrets(text: str) -> list[Hit]:
    """Every secret recognised by its value in `text`, sorted, not overlapping.

    Token formats first (their kind is exact), then credentials in URLs and in `key=value` text, then
    high-entropy strings. A later finding overlapping an earlier one is dropped.
    """
    hits: list[Hit] = []

    def add(start: int, end: int, kind: str) -> None:
        if end > start and not any(h.start < end and start < h.end for h in hits):
            hits.append(Hit(start, end, kind))

    if _TOKEN_LITERAL.search(text):
        for kind, pattern in _TOKENS:
            for m in pattern.finditer(text):
                add(m.start(), m.end(), kind)
    for m in _URL_CREDENTIALS.finditer(text):
        secret = m.group("secret")
        if not _REFERENCE.search(secret) and not (secret.isdigit() and len(secret) <= 5):  # not a port
            add(m.start("secret"), m.end("secret"), "password in URL")
    for m in _KEY_VALUE.finditer(text):
        secret = m.group("secret")
        word = _word_before(text, m.start(), 60)
        if "?" in word or "&" in word:  # a query string: `?sig=…&sp=r`
            secret = secret.split("&", 1)[0]
        if (
            len(secret) < 4
            or secret.isdigit()
            or _names_a_secret(secret)
            or _inside_reference(text, m.start())
        ):
            continue
        add(m.start("secret"), m.start("secret") + len(secret), _kind_of_key(m.group("key")))
    for m in _BEARER.finditer(text):
        if not _names_a_secret(m.group("secret")):
            add(m.start("secret"), m.end("secret"), "bearer token")
    for m in _CANDIDATE.finditer(text):
        token = m.group(0)
        if _HEX.fullmatch(token):
            if _is_hex_key(text, m.start(), token):
                add(m.start(), m.end(), "hex key")
        elif _is_random_key(text, m.start(), token):
            add(m.start(), m.end(), "high-entropy string")
    hits.sort(key=lambda h: h.start)
    return hits


def redact_values(text: str, found: set[str] | None = None) -> str:
    """`text` with every secret recognised by its value replaced by its marker.

    Line breaks inside a secret (a PEM block) are kept, so the file's line numbers still hold. The
    secrets themselves are added to `found`, for the scrub of the rest of the prompt.
    """
    hits = find_secrets(text)
    if not hits:
        return text
    pieces: list[str] = []
    cursor = 0
    for h in hits:
        pieces.append(text[cursor : h.start])
        pieces.append(marker(h.kind) + "\n" * text.count("\n", h.start, h.end))
        if found is not None:
            found.add(text[h.start : h.end])
        cursor = h.end
    pieces.append(text[cursor:])
    return "".join(pieces)
