#!/usr/bin/env python3
"""Build the index: ``python build_index.py [options]`` is ``kb build [options]``."""

import sys

from kb.cli import cli

if __name__ == "__main__":
    cli(["build", *sys.argv[1:]], prog_name="build_index.py")
