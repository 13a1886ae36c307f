"""An app whose async route blocks the event loop far longer than any client waits."""

from __future__ import annotations

import time

from fastapi import FastAPI

app = FastAPI()


def crunch() -> None:
    time.sleep(600)


@app.get("/report")
async def report() -> dict[str, str]:
    crunch()
    return {"status": "done"}
