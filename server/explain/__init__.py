"""Optional LLM explanations of findings (off by default).

`prompt` gathers a finding's facts and its redacted resource block and fits them to the token budget
(`tokens`, offline vocabularies); `explainer.Explainer` sends them to an OpenAI-compatible endpoint with
retries, a disk cache and a token/cost counter; `runner` is the command line's use of it. Importing this
package is cheap: `openai` is imported on the first request only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.explain.errors import ExplainError
    from advisor.explain.explainer import Explainer, Explanation, SessionStats, unavailable_reason
    from advisor.explain.prompt import FindingContext, Prompt, finding_context

__all__ = [
    "ExplainError",
    "Explainer",
    "Explanation",
    "FindingContext",
    "Prompt",
    "SessionStats",
    "finding_context",
    "unavailable_reason",
]

_HOMES = {
    "ExplainError": "errors",
    "Explainer": "explainer",
    "Explanation": "explainer",
    "SessionStats": "explainer",
    "unavailable_reason": "explainer",
    "FindingContext": "prompt",
    "Prompt": "prompt",
    "finding_context": "prompt",
}


def __getattr__(name: str) -> Any:
    """Names are loaded on first use so that `import advisor.explain` costs nothing."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'advisor.explain' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"advisor.explain.{home}"), name)
