"""briefbot."""
