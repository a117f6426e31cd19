"""gridops benchmark suite: `python -m bench` (or `make bench`); see bench/README.md.

Kept out of the test suite on purpose: figures depend on the machine and its load.
`tests/bench` only smoke-runs each benchmark at tiny sizes.
"""
