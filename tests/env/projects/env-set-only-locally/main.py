import os

from fastapi import FastAPI

SECRET_KEY = os.environ["SECRET_KEY"]
app = FastAPI()
