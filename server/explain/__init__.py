"""Optional LLM explanations of findings (off by default)."""
