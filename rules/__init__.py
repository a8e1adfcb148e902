"""Rule tables and the engine that applies them."""
