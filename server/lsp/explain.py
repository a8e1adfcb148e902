"""The explain pass in the editor: an "Explain" code action asks the configured model about one
finding, in the background; the answer is shown once and then kept for the finding's hover.

Nothing here runs unless the editor's user settings turn it on (`advisor.explain.enabled`); the
endpoint, model and key come from the user (see `settings.py`), never from a repository's
`.advisor.toml`. Nothing is imported before the first request, and diagnostics never wait for it. The
model's text is only displayed (with Markdown made inert), never applied.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.lsp.analysis import ModuleView
    from advisor.lsp.settings import ClientSettings
    from advisor.model import Finding

log = logging.getLogger("advisor.lsp")

MAX_ANSWERS = 256
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def available(settings: ClientSettings) -> bool:
    """Whether explanations can be asked for under these settings (cheap: no imports when off)."""
    if not settings.explain or settings.explain_config is None:
        return False
    from advisor.explain.explainer import unavailable_reason

    return unavailable_reason(settings.explain_config) is None


def _key(f: Finding) -> tuple[str, ...]:
    """What identifies a finding across edits elsewhere in the file (its position does not)."""
    return (os.path.normpath(f.span.path), f.rule, f.resource, f.attribute, str(f.current), str(f.suggested))


def inert(text: str) -> str:
    """Model text as literal Markdown: no links, images or formatting it did not earn."""
    return _MARKDOWN.sub(r"\\\1", text)


class Explanations:
    """One explainer per set of user explain settings (it owns the HTTP client and the answer cache)
    and the answers given since the server started, for hovers."""

    def __init__(self) -> None:
        self._explainers: dict[str, Any] = {}
        self._answers: OrderedDict[tuple[str, ...], str] = OrderedDict()

    def answer_for(self, f: Finding) -> str | None:
        return self._answers.get(_key(f))

    async def explain(
        self, settings: ClientSettings, finding: Finding, result: ModuleView
    ) -> tuple[str | None, str | None]:
        """(answer, None) or (None, why not); never raises for network or model trouble."""
        from advisor.explain.explainer import Explainer, Explanation, explain_cache_dir
        from advisor.explain.prompt import finding_context
        from advisor.explain.redact import secrets_of

        explain = settings.explain_config
        if not available(settings) or explain is None:
            return None, "explanations are off: turn on advisor.explain.enabled in your user settings"

        path = os.path.normpath(finding.span.path)
        outcome = result.outcome
        context = await asyncio.to_thread(
            finding_context,
            finding,
            text=result.texts.get(path),
            resources=outcome.resources,
            costs=outcome.costs,
            secrets=secrets_of(outcome.sensitive_variables, outcome.sensitive_values),
            display_path=os.path.basename(path),
        )
        key = repr(explain)
        explainer = self._explainers.get(key)
        if explainer is None:
            cache, no_cache = explain_cache_dir(explain)
            if no_cache is not None:
                log.warning("%s", no_cache)  # once per set of settings: the explainer is kept
            explainer = self._explainers[key] = Explainer(explain, cache)
        answer = await explainer.explain(context)
        if not isinstance(answer, Explanation):
            return None, answer.message
        self._answers[_key(finding)] = answer.text
        while len(self._answers) > MAX_ANSWERS:
            self._answers.popitem(last=False)
        return answer.text, None

    def close(self) -> None:
        for explainer in self._explainers.values():
            explainer.close()
        self._explainers.clear()
