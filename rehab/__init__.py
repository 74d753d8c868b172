"""The ``rehab`` console script: one entry point, one subcommand per job."""

__version__ = "0.1.0"
