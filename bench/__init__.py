"""Benchmarks of Crossmesh: crypto primitives, ingest, release latency and utility.

``python -m bench [--quick]`` (or ``crossmesh bench``) runs them all and prints one JSON object;
each module also runs alone (``python -m bench.bench_ingest``). Results are kept, with the
machine, command and date, in BENCHMARKS.md.
"""
