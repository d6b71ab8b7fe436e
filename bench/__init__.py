"""Benchmarks (GitHub issue #6): a deterministic data generator and the measures behind
``make bench``. Speed targets live here, never in timed unit tests."""
