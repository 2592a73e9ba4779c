"""A Jupyter kernel for the policy language: each cell is an entry at `policy repl --jsonl`."""

__version__ = "0.1.0"
