"""Report writers: text, JSON, SARIF, GitHub annotations."""
