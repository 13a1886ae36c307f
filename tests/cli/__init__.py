"""Tests of the ``fastapi-medic`` command line, one module per command."""
