"""Plain text of whatis."""
