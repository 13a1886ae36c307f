import os

from fastapi import FastAPI
from sqlalchemy import create_engine

URL = os.environ["DATABASE_URL"].replace("postgres://", "postgresql+psycopg://", 1)
engine = create_engine(URL)
app = FastAPI()
