"""`enclave` (and `python -m enclave`): the interrupt handler first, then the CLI, so a Ctrl-C while the engine's
modules still load ends the command like any other (exit 130, one line), not in a KeyboardInterrupt traceback."""

from __future__ import annotations


def main() -> None:
    from . import interrupt

    interrupt.install()
    from .cli import main as cli

    cli()


if __name__ == "__main__":
    main()
