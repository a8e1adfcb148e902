"""Ask an OpenAI-compatible endpoint about a finding: bounded, cached, counted, and never fatal.

Everything that can go wrong on the network (refused, slow, rate limited, failing, answering
garbage) ends as one `ExplainError` with a short text; the rest of Advisor never waits for it.
`openai` is imported on the first request only (it costs about a second to import).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from advisor.explain.errors import ExplainError
from advisor.explain.prompt import FindingContext, Prompt, build_prompt

if TYPE_CHECKING:
    from advisor.config import ExplainConfig

log = logging.getLogger("advisor.explain")
log.addHandler(logging.NullHandler())  # the CLI prints its own one-line messages; the server logs these

MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.5
MAX_RETRY_AFTER_SECONDS = 10.0
# After the endpoint proved unreachable or slow, later requests fail at once for a while instead of
# each waiting out its own timeout (a `lint --explain` over many findings stays fast).
DOWN_COOLDOWN_SECONDS = 30.0
MAX_ANSWER_CHARS = 6000
# A streamed answer is read up to this many characters (escapes still in it), then cut off and capped.
MAX_STREAM_CHARS = 4 * MAX_ANSWER_CHARS
DEFAULT_ANSWER_TOKENS = 400
LEDGER_NAME = "usage.jsonl"

_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_T = TypeVar("_T")
OnDelta = Callable[[str], None]
"""Called with the answer so far (cleaned like the final text) each time a streamed chunk adds to it."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """Text to display next to a finding (never to apply), and what it cost."""

    text: str
    model: str
    cached: bool
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # USD, when prices are configured
    seconds: float = 0.0
    omitted_lines: int = 0


@dataclass(slots=True)
class SessionStats:
    """Tokens and money spent by this process; thread-safe, shown in the log and by `--stats`."""

    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None
    answered: int = 0
    cache_hits: int = 0
    failures: int = 0
    http_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def priced(self) -> bool:
        return self.input_price_per_mtok is not None or self.output_price_per_mtok is not None

    def cost_of(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        if not self.priced:
            return None
        return (
            prompt_tokens * (self.input_price_per_mtok or 0.0)
            + completion_tokens * (self.output_price_per_mtok or 0.0)
        ) / 1_000_000

    def record_answer(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        cost = self.cost_of(prompt_tokens, completion_tokens)
        with self._lock:
            self.answered += 1
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens
            self.cost += cost or 0.0
        return cost

    def record(self, *, cache_hit: bool = False, failure: bool = False, request: bool = False) -> None:
        with self._lock:
            self.cache_hits += int(cache_hit)
            self.failures += int(failure)
            self.http_requests += int(request)

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "answered": self.answered,
                "cache_hits": self.cache_hits,
                "failures": self.failures,
                "http_requests": self.http_requests,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost": round(self.cost, 6) if self.priced else None,
            }

    def summary(self) -> str:
        d = self.as_dict()
        cost = (
            f"${d['cost']:.4f}"
            if d["cost"] is not None
            else "cost unknown (set input_price_per_mtok and output_price_per_mtok)"
        )
        return (
            f"{d['answered']} answered, {d['cache_hits']} from cache, {d['failures']} failed; "
            f"{d['prompt_tokens']:,} prompt + {d['completion_tokens']:,} completion tokens; {cost}"
        )


def explain_cache_dir(config: ExplainConfig) -> tuple[Path | None, str | None]:
    """Where answers and the usage ledger live: `(folder, None)`, or `(None, why)` for no cache.

    The user's own `[explain] cache_dir` (already absolute: only the user config may set it), else
    `explain/` in the private per-user folder, refused when another user could write to it: a planted
    answer would be shown as the model's text.
    """
    if config.cache_dir:
        return Path(config.cache_dir), None
    from advisor.paths import UnsafeFolder, private_folder

    try:
        return private_folder("explain"), None
    except UnsafeFolder as exc:
        return None, f"explanations run without a cache: {exc}"
    except OSError as exc:
        return None, f"explanations run without a cache: cannot create {exc.filename}: {exc.strerror}"


def unavailable_reason(config: ExplainConfig) -> str | None:
    """None when explanations can be requested, else what the user should set, and where."""
    from advisor.config import user_config_display

    where = user_config_display()
    if not config.enabled:
        return (
            f"explanations are off: set [explain] enabled = true in {where} "
            "(your own config; a project's .advisor.toml cannot turn them on)"
        )
    missing = [name for name in ("base_url", "model") if not str(getattr(config, name) or "").strip()]
    if missing:
        return f"[explain] needs {' and '.join(missing)} in {where}"
    if config.max_prompt_tokens <= 0 or config.timeout_seconds <= 0 or config.max_concurrency <= 0:
        return "[explain] max_prompt_tokens, timeout_seconds and max_concurrency must be positive"
    return None


def clean_answer(text: str) -> str:
    """Model text made safe to print: no terminal escapes or bidi controls, bounded length."""
    text = _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text.replace("\t", "    "))
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > MAX_ANSWER_CHARS:
        text = text[: MAX_ANSWER_CHARS - 1].rstrip() + "…"
    return text


def _retry_after(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds only; dates are treated as absent)."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            seconds = float(raw) * scale
        except ValueError:
            continue
        if seconds >= 0:
            return seconds
    return None


class Explainer:
    """One per session (the CLI run, or the language server's life): owns the client, cache, counter.

    `explain()` (async) and `explain_sync()` return an `Explanation` or an `ExplainError`, never raise.
    Calls from many threads or event loops are safe; at most `max_concurrency` requests are in flight.
    """

    def __init__(
        self,
        config: ExplainConfig,
        cache_dir: Path | None,
        *,
        stats: SessionStats | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.cache_dir = cache_dir  # None: no disk cache and no usage ledger (see `explain_cache_dir`)
        self.stats = stats or SessionStats(config.input_price_per_mtok, config.output_price_per_mtok)
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._slots = threading.BoundedSemaphore(max(1, config.max_concurrency))
        self._lock = threading.Lock()
        self._client: Any = None
        self._down: tuple[float, ExplainError] | None = None
        self._token_param = "max_tokens"
        self._stream_usage = True  # send stream_options.include_usage until an endpoint refuses it

    # -- the public surface -------------------------------------------------------------------------
    def unavailable_reason(self) -> str | None:
        return unavailable_reason(self.config)

    def build_prompt(self, context: FindingContext) -> Prompt:
        """The exact request for `context` (raises ExplainError "budget" / "tokenizer")."""
        return build_prompt(context, self.config.model, self.config.max_prompt_tokens)

    def cached(self, context: FindingContext) -> Explanation | None:
        """An explanation already on disk, without any network (for hovers)."""
        if self.unavailable_reason() is not None:
            return None
        try:
            prompt = self.build_prompt(context)
        except ExplainError:
            return None
        return self._read_cache(prompt)

    def explain_sync(
        self, context: FindingContext, on_delta: OnDelta | None = None
    ) -> Explanation | ExplainError:
        """Blocking: the cached answer, or one bounded round of requests to the endpoint.

        With `[explain] stream = true`, `on_delta` (when given) sees the partial answer as it arrives,
        from the request's thread; it is not called for cached answers, and its own errors are ignored.
        """
        try:
            return self._explain(context, on_delta)
        except ExplainError as exc:
            self.stats.record(failure=True)
            log.warning("explain %s: %s", context.finding.rule, exc.message)
            return exc
        except Exception as exc:  # the last line of defence: a bug here must not reach the user
            self.stats.record(failure=True)
            log.exception("explain %s failed", context.finding.rule)
            return ExplainError("internal", f"explanation failed: {type(exc).__name__}: {exc}")

    async def explain(
        self, context: FindingContext, on_delta: OnDelta | None = None
    ) -> Explanation | ExplainError:
        """The same, off the event loop (a worker thread), so the editor's loop never blocks.

        `on_delta` runs in that worker thread: hand its text to the loop with `call_soon_threadsafe`.
        """
        return await asyncio.to_thread(self.explain_sync, context, on_delta)

    def explain_many(self, contexts: Sequence[FindingContext]) -> list[Explanation | ExplainError]:
        """Several findings at once, at most `max_concurrency` in flight; results in input order."""
        if not contexts:
            return []
        workers = max(1, min(self.config.max_concurrency, len(contexts)))
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="advisor-explain") as pool:
            return list(pool.map(self.explain_sync, contexts))

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    # -- the work -------------------------------------------------------------------------------------
    def _explain(self, context: FindingContext, on_delta: OnDelta | None = None) -> Explanation:
        reason = self.unavailable_reason()
        if reason is not None:
            raise ExplainError("disabled", reason)
        prompt = self.build_prompt(context)
        hit = self._read_cache(prompt)
        if hit is not None:
            self.stats.record(cache_hit=True)
            log.info("explain %s: from cache; session: %s", context.finding.rule, self.stats.summary())
            return hit
        with self._lock:
            down = self._down
        if down is not None and time.monotonic() < down[0]:
            raise down[1]
        started = time.monotonic()
        if getattr(self.config, "stream", False):
            text, prompt_tokens, completion_tokens = self._request_stream(prompt, on_delta)
        else:
            text, prompt_tokens, completion_tokens = self._parse(prompt, self._request(prompt))
        cost = self.stats.record_answer(prompt_tokens, completion_tokens)
        answer = Explanation(
            text,
            self.config.model,
            False,
            prompt_tokens,
            completion_tokens,
            cost,
            round(time.monotonic() - started, 3),
            prompt.omitted_lines,
        )
        self._write_cache(prompt, answer)
        self._append_ledger(answer)
        log.info(
            "explain %s at %s:%d in %.1fs: %d prompt + %d completion tokens%s; session: %s",
            context.finding.rule,
            context.facts.path,
            context.facts.line,
            answer.seconds,
            prompt_tokens,
            completion_tokens,
            f", ${cost:.5f}" if cost is not None else "",
            self.stats.summary(),
        )
        return answer

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    import openai
                except ImportError:
                    raise ExplainError(
                        "disabled", "the 'openai' package is not installed (pip install openai)"
                    ) from None
                key = os.environ.get(self.config.api_key_env or "") or "not-needed"
                self._client = openai.OpenAI(
                    base_url=self.config.base_url,
                    api_key=key,
                    timeout=float(self.config.timeout_seconds),
                    max_retries=0,
                )
            return self._client

    def _mark_down(self, error: ExplainError) -> ExplainError:
        with self._lock:
            self._down = (time.monotonic() + DOWN_COOLDOWN_SECONDS, error)
        return error

    def _request(self, prompt: Prompt) -> Any:
        """POST /chat/completions and return the decoded JSON body (retried as `_with_retries` says)."""

        def once(client: Any, timeout: float) -> Any:
            raw = client.chat.completions.with_raw_response.create(
                model=self.config.model,
                messages=prompt.as_messages(),
                timeout=timeout,
                **{self._token_param: self._answer_tokens()},
            )
            return raw.http_response.text

        body = self._with_retries(once, streaming=False)
        try:
            return json.loads(body)
        except ValueError:
            raise ExplainError(
                "bad_answer", f"the explain endpoint {self._endpoint()} did not answer with JSON"
            ) from None

    def _request_stream(self, prompt: Prompt, on_delta: OnDelta | None) -> tuple[str, int, int]:
        """POST /chat/completions with `stream: true`; text and token counts from the event stream.

        Retried like a plain request until the first chunk has arrived; after that, a broken or
        malformed stream is one ExplainError (and nothing is cached).
        """
        deadline = time.monotonic() + 2 * float(self.config.timeout_seconds)

        def once(client: Any, timeout: float) -> tuple[str, int, int]:
            extra: dict[str, Any] = {self._token_param: self._answer_tokens()}
            if self._stream_usage:
                extra["stream_options"] = {"include_usage": True}
            with client.chat.completions.with_streaming_response.create(
                model=self.config.model,
                messages=prompt.as_messages(),
                stream=True,
                timeout=timeout,
                **extra,
            ) as response:
                content_type = str(response.headers.get("content-type") or "").lower()
                if "text/event-stream" not in content_type:
                    # The endpoint ignored `stream` and answered in one piece: read it as such.
                    try:
                        body = response.text()
                    except Exception as exc:
                        raise self._broken_stream(exc, 0) from None
                    try:
                        data = json.loads(body)
                    except ValueError:
                        raise ExplainError(
                            "bad_answer", f"the explain endpoint {self._endpoint()} did not answer with JSON"
                        ) from None
                    return self._parse(prompt, data)
                return self._read_stream(prompt, response.iter_lines(), deadline, on_delta)

        result: tuple[str, int, int] = self._with_retries(once, streaming=True, deadline=deadline)
        return result

    def _with_retries(
        self, once: Callable[[Any, float], _T], *, streaming: bool, deadline: float | None = None
    ) -> _T:
        """Run one request (`once(client, timeout)`) with retries on 429, 5xx, timeouts and refused
        connections.

        Exponential backoff with jitter; a small Retry-After is honoured. The whole exchange is bounded
        by twice `timeout_seconds`, so a slow endpoint costs a known, small wait.
        """
        import openai

        client = self._get_client()
        timeout = float(self.config.timeout_seconds)
        if deadline is None:
            deadline = time.monotonic() + 2 * timeout
        endpoint = self._endpoint()
        error = ExplainError("unreachable", f"cannot reach the explain endpoint {endpoint}")
        for attempt in range(1, self.max_attempts + 1):
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                break
            wait = self.backoff_base * (2 ** (attempt - 1)) * (0.5 + random.random())
            retry = True
            try:
                with self._slots:
                    self.stats.record(request=True)
                    return once(client, min(timeout, remaining))
            except _Retryable as exc:  # a stream that failed before its first chunk
                error = exc.error
            except openai.APITimeoutError:
                error = ExplainError(
                    "timeout", f"the explain endpoint {endpoint} did not answer within {timeout:g} s"
                )
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                error = ExplainError(
                    "unreachable", f"cannot reach the explain endpoint {endpoint} ({_short(cause)})"
                )
            except openai.APIStatusError as exc:
                status = exc.status_code
                detail = _status_detail(exc)
                if status == 429:
                    error = ExplainError(
                        "rate_limited", f"the explain endpoint is rate limiting requests (HTTP 429){detail}"
                    )
                elif status >= 500 or status == 408:
                    error = ExplainError("server", f"the explain endpoint failed (HTTP {status}){detail}")
                else:
                    retry = False
                    if (
                        status == 400
                        and self._token_param == "max_tokens"
                        and "max_completion_tokens" in detail
                    ):
                        self._token_param = "max_completion_tokens"  # newer OpenAI models renamed it
                        retry = True
                    elif status == 400 and streaming and self._stream_usage and "stream_options" in detail:
                        self._stream_usage = False  # an older server: count completion tokens locally
                        retry = True
                    error = _rejected(status, detail, self.config.model, self.config.api_key_env)
                hint = _retry_after(exc.response.headers if exc.response is not None else None)
                if hint is not None:
                    if hint > MAX_RETRY_AFTER_SECONDS:
                        raise ExplainError(
                            error.kind, f"{error.message}; it asks to retry after {hint:g} s"
                        ) from None
                    wait = hint + random.uniform(0, 0.1)
            if not retry or attempt == self.max_attempts:
                break
            if time.monotonic() + wait >= deadline:
                break
            log.info("explain: %s; retry %d in %.2fs", error.message, attempt, wait)
            self._sleep(wait)
        if error.kind in ("unreachable", "timeout", "server"):
            raise self._mark_down(error)
        raise error

    def _endpoint(self) -> str:
        return self.config.base_url.rstrip("/")

    def _broken_stream(self, exc: BaseException | None, chunks: int) -> Exception:
        """The error for a stream that stopped: retryable before its first chunk, final after it."""
        endpoint = self._endpoint()
        timeout = float(self.config.timeout_seconds)
        timed_out = exc is not None and any("Timeout" in c.__name__ for c in type(exc).__mro__)
        if chunks == 0:
            if timed_out:
                return _Retryable(
                    ExplainError(
                        "timeout", f"the explain endpoint {endpoint} did not answer within {timeout:g} s"
                    )
                )
            why = f" ({_short(exc)})" if exc is not None else ""
            return _Retryable(
                ExplainError(
                    "server", f"the explain endpoint {endpoint} closed the stream before answering{why}"
                )
            )
        if timed_out:
            why, cause = f"sent nothing for {timeout:g} s", ""
        elif exc is not None:
            why, cause = "broke off", f" ({_short(exc)})"
        else:
            why, cause = "ended without [DONE]", ""
        plural = "s" if chunks != 1 else ""
        return ExplainError(
            "timeout" if timed_out else "server",
            f"the explain endpoint's answer stream {why} after {chunks} chunk{plural}{cause}; "
            "nothing was kept",
        )

    def _read_stream(
        self, prompt: Prompt, lines: Iterator[str], deadline: float, on_delta: OnDelta | None
    ) -> tuple[str, int, int]:
        """Assemble a chat completion from Server-Sent Events: `data: {chunk}` … `data: [DONE]`."""
        malformed = "the explain endpoint sent a malformed stream chunk"
        parts: list[str] = []
        size = 0
        chunks = 0
        data_lines: list[str] = []
        usage: dict[str, Any] = {}
        finish: Any = None
        done = cut = False

        def handle(data: str) -> None:
            nonlocal chunks, size, finish, usage, done, cut, on_delta
            if data.strip() == "[DONE]":
                done = True
                return
            try:
                chunk = json.loads(data)
            except ValueError:
                raise ExplainError("bad_answer", f"{malformed} (not JSON)") from None
            if not isinstance(chunk, dict):
                raise ExplainError("bad_answer", f"{malformed} (not a chat completion chunk)")
            if chunk.get("error") is not None:
                inner = chunk["error"]
                said = str(inner.get("message") or "") if isinstance(inner, dict) else str(inner)
                said = " ".join(clean_answer(said).split())[:200]
                raise ExplainError("bad_answer", f"the explain endpoint answered with an error: {said}")
            choices = chunk.get("choices")
            if choices is None:
                choices = []
            if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
                raise ExplainError("bad_answer", f"{malformed} (not a chat completion chunk)")
            chunks += 1
            if isinstance(chunk.get("usage"), dict):
                usage = chunk["usage"]
            if not choices:
                return
            choice = choices[0]
            delta = choice.get("delta")
            if delta is None:
                delta = {}
            piece = delta.get("content") if isinstance(delta, dict) else 0
            if piece is not None and not isinstance(piece, str):
                raise ExplainError("bad_answer", f"{malformed} (its content is not text)")
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
            if not piece:
                return
            parts.append(piece)
            size += len(piece)
            if size >= MAX_STREAM_CHARS:
                cut = True  # long enough: stop reading, the text is capped anyway
            if on_delta is not None:
                try:
                    on_delta(clean_answer("".join(parts)))
                except Exception:
                    log.exception("explain: the on_delta callback failed; not calling it again")
                    on_delta = None

        while not (done or cut):
            try:
                line = next(lines, None)
            except Exception as exc:  # the transport: reset, incomplete body, read timeout …
                raise self._broken_stream(exc, chunks) from None
            if line is None:
                break
            if time.monotonic() > deadline:
                raise ExplainError(
                    "timeout",
                    f"the explain endpoint's answer stream did not finish within "
                    f"{2 * float(self.config.timeout_seconds):g} s; nothing was kept",
                )
            if not line:  # a blank line ends an event
                if data_lines:
                    handle("\n".join(data_lines))
                    data_lines = []
                continue
            name, _, value = line.partition(":")
            if name == "data":  # comments (":…"), `event:`, `id:` and `retry:` carry nothing we use
                data_lines.append(value[1:] if value.startswith(" ") else value)
        if data_lines and not (done or cut):  # the last event without its blank line
            handle("\n".join(data_lines))
        if not (done or cut):
            raise self._broken_stream(None, chunks)
        content = "".join(parts)
        text = clean_answer(content)
        if not text:
            raise ExplainError("bad_answer", "the model returned an empty explanation")
        if finish == "length" or (cut and not text.endswith("…")):
            text += " …"
        return (text, *_token_counts(prompt, usage, content))

    def _answer_tokens(self) -> int:
        return int(getattr(self.config, "max_answer_tokens", DEFAULT_ANSWER_TOKENS) or DEFAULT_ANSWER_TOKENS)

    def _parse(self, prompt: Prompt, data: Any) -> tuple[str, int, int]:
        """Text and token counts from a chat completion; anything else is a "bad_answer"."""
        bad = ExplainError("bad_answer", "the explain endpoint's answer is not a chat completion")
        if not isinstance(data, dict):
            raise bad
        if isinstance(data.get("error"), dict):
            said = " ".join(clean_answer(str(data["error"].get("message") or "")).split())[:200]
            raise ExplainError("bad_answer", f"the explain endpoint answered with an error: {said}")
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise bad
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise bad
        text = clean_answer(content)
        if not text:
            raise ExplainError("bad_answer", "the model returned an empty explanation")
        if choices[0].get("finish_reason") == "length":
            text += " …"
        raw_usage = data.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        return (text, *_token_counts(prompt, usage, content))

    # -- disk -----------------------------------------------------------------------------------------
    def _cache_path(self, prompt: Prompt) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / prompt.key[:2] / f"{prompt.key}.json"

    def _read_cache(self, prompt: Prompt) -> Explanation | None:
        path = self._cache_path(prompt)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("model") != prompt.model or not isinstance(data.get("text"), str):
                return None
            return Explanation(
                clean_answer(data["text"]),
                prompt.model,
                True,
                int(data.get("prompt_tokens", 0)),
                int(data.get("completion_tokens", 0)),
                None,
                0.0,
                prompt.omitted_lines,
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def _write_cache(self, prompt: Prompt, answer: Explanation) -> None:
        path = self._cache_path(prompt)
        if path is None:
            return
        record = {
            "version": 1,
            "model": prompt.model,
            "text": answer.text,
            "prompt_tokens": answer.prompt_tokens,
            "completion_tokens": answer.completion_tokens,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        try:
            write_atomically(path, json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:  # a read-only cache only costs a repeated request
            log.debug("explain cache not written: %s", exc)

    def _append_ledger(self, answer: Explanation) -> None:
        if self.cache_dir is None:
            return
        line = json.dumps(
            {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "model": answer.model,
                "prompt_tokens": answer.prompt_tokens,
                "completion_tokens": answer.completion_tokens,
                "cost": answer.cost,
            }
        )
        try:
            self.cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # One short line per O_APPEND write: concurrent processes do not interleave it.
            fd = os.open(self.cache_dir / LEDGER_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            log.debug("explain usage ledger not written: %s", exc)


def read_ledger(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """All-time usage per model from the ledger every session appends to (bad lines skipped)."""
    totals: dict[str, dict[str, Any]] = {}
    try:
        lines = (cache_dir / LEDGER_NAME).read_text(encoding="utf-8").splitlines()
    except OSError:
        return totals
    for raw in lines:
        try:
            entry = json.loads(raw)
            model = str(entry["model"])
            t = totals.setdefault(
                model, {"answers": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": None}
            )
            t["answers"] += 1
            t["prompt_tokens"] += int(entry.get("prompt_tokens") or 0)
            t["completion_tokens"] += int(entry.get("completion_tokens") or 0)
            if entry.get("cost") is not None:
                t["cost"] = (t["cost"] or 0.0) + float(entry["cost"])
        except (ValueError, KeyError, TypeError):
            continue
    return totals


def write_atomically(path: Path, text: str) -> None:
    """Write a whole file or nothing: a reader never sees half an answer."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Retryable(Exception):
    """Raised inside one attempt for a failure that is worth another attempt (`error` says which)."""

    def __init__(self, error: ExplainError) -> None:
        super().__init__(error.message)
        self.error = error


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    m = re.search(r"\[Errno -?\d+\]\s*([^\]\)]+)", text)
    if m:
        text = m.group(1)
    return text.splitlines()[0][:120]


def _status_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = str(inner.get("message", "") if isinstance(inner, dict) else inner)
    elif isinstance(body, str):
        message = body
    message = " ".join(clean_answer(message).split())[:160]
    return f": {message}" if message else ""


def _rejected(status: int, detail: str, model: str, key_env: str) -> ExplainError:
    if status in (401, 403):
        return ExplainError(
            "rejected", f"the explain endpoint refused the API key (HTTP {status}); set {key_env}{detail}"
        )
    if status == 404:
        return ExplainError(
            "rejected",
            f"the explain endpoint has no model {model!r} or no /chat/completions (HTTP 404){detail}",
        )
    return ExplainError("rejected", f"the explain endpoint rejected the request (HTTP {status}){detail}")


def _token_counts(prompt: Prompt, usage: dict[str, Any], content: str) -> tuple[int, int]:
    """(prompt, completion) tokens: the endpoint's own figures, else our exact count of the text."""
    prompt_tokens = _count(usage.get("prompt_tokens"))
    completion_tokens = _count(usage.get("completion_tokens"))
    if prompt_tokens is None:
        prompt_tokens = prompt.tokens  # our own exact count of what was sent
    if completion_tokens is None:
        from advisor.explain.tokens import count_text, get_encoding

        completion_tokens = count_text(content, get_encoding(prompt.encoding))
    return prompt_tokens, completion_tokens
