from fastapi import FastAPI

application = FastAPI()
app = "application"
