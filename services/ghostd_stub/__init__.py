"""ghostd_stub: the GhostChain development node (docs/ghostd.md)."""
