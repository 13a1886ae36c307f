import os

import asyncpg
from fastapi import FastAPI

DATABASE_URL = os.environ["DATABASE_URL"]
app = FastAPI()


async def connect() -> asyncpg.Connection:
    return await asyncpg.connect(DATABASE_URL)
