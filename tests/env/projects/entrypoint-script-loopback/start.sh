#!/bin/sh
set -e
alembic upgrade head
exec uvicorn main:app --port 8000
