"""An app whose async route waits for an event nobody sets: the loop is idle, the request hangs."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

app = FastAPI()
ready = asyncio.Event()


async def wait_for_stock() -> None:
    await ready.wait()


@app.get("/stock")
async def stock() -> dict[str, str]:
    await wait_for_stock()
    return {"status": "in stock"}
