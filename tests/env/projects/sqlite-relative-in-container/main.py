import os

from fastapi import FastAPI

DATABASE_URL = os.environ["DATABASE_URL"]
app = FastAPI()
