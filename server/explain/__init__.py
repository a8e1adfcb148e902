"""Optional LLM explanations of findings (off by default).

`prompt` gathers a finding's facts and its redacted resource block (`redact`) and fits them to the
token budget (`tokens`, offline vocabularies); `explainer.Explainer` sends them to an
OpenAI-compatible endpoint with retries, a disk cache and a token/cost counter; `runner` is the
command line's use of it. Each is imported from its own module: importing this package costs
nothing, and `openai` is imported on the first request only.
"""
