"""Benchmarks of issue 6 with their targets and floors: `make bench` (python -m bench) writes bench/RESULTS.md.

Run by hand, never by the test suite (tests/integration/test_bench_smoke.py only checks that
every script still runs at a tiny size). See bench/__main__.py for the options.
"""
