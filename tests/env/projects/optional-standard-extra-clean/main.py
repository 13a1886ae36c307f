from fastapi import FastAPI, Form

app = FastAPI()


@app.post("/login")
def login(user: str = Form()) -> str:
    return user
