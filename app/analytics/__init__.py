"""Training analytics: plain, typed, framework-free computations behind the analytics tools.

One module per concern; every function names its formula and source (docs/analytics.md)."""
