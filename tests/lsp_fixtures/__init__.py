"""Helpers for the language-server tests (a simulated editor talking to `advisor serve` over stdio)."""
