"""``python -m kb``: the kb command."""

from .cli import main

main()
