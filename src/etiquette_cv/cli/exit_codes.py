"""The command line's exit codes, defined once for every command."""

EXIT_OK = 0
EXIT_NOBODY = 1
"""The run finished but found nobody / nothing to grade."""
EXIT_BAD_INPUT = 2
"""Bad input: a file, an option, a calibration or a rulebook that cannot be used."""
EXIT_INCOMPLETE = 3
"""The input ended early (truncated file, dropped stream); what was computed is written."""
