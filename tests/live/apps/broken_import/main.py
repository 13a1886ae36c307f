"""An app that cannot be imported: a setting read from the environment at import time."""

from __future__ import annotations

import os

from fastapi import FastAPI

DATABASE_URL = os.environ["FASTAPI_MEDIC_TEST_UNSET_VARIABLE"]

app = FastAPI()
