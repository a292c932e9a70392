"""HTTP routes that are not part of a protocol package (health, pages)."""
