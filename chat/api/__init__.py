"""REST resources of conversations and tickets (SPEC A2)."""
