from fastapi import APIRouter, WebSocket

router = APIRouter(prefix="/orders")


@router.get("")
async def list_orders() -> list[int]:
    return []


async def live(websocket: WebSocket) -> None:
    await websocket.accept()


router.add_api_websocket_route("/live", live)
