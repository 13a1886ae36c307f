from fastapi import FastAPI, WebSocket

app = FastAPI()


@app.websocket("/ws")
async def ws(socket: WebSocket) -> None:
    await socket.accept()
