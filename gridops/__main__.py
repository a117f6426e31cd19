"""`python -m gridops` is the `gridops` command."""

from gridops.cli import main

main()
