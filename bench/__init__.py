"""Benchmarks of Crossmesh: first run, protocol v2 release latency and cost per record, utility.

``python -m bench [--quick]`` (or ``crossmesh bench``) runs them all and prints one JSON object;
each module also runs alone (``python -m bench.bench_release``). Results are kept, with the
machine, command and date, in BENCHMARKS.md.
"""
