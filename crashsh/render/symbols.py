"""Plain text of sym."""
