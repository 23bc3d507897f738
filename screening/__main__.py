"""``python -m screening``."""

from .cli import main

main()
