from fastapi import FastAPI, Form
from pydantic import EmailStr

app = FastAPI()


@app.post("/login")
def login(user: EmailStr = Form()) -> str:
    return user
