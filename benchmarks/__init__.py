"""Benchmarks of iej_impact: the harness (``run.py``) and suites (``bench_<suite>.py``).

See benchmarks/README.md. Run ``python benchmarks/run.py --suite NAME`` from the repository root.
"""
