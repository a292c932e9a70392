"""The credential vault: AES-256-GCM encryption of Intervals.icu credentials (crypto) and
their storage, loading and key rotation (store)."""
