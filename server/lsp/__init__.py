"""The language server (pygls): a thin protocol layer over the engine."""
