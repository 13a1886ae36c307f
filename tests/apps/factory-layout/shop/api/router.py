from fastapi import APIRouter, Depends

from shop.api.routes import orders, users
from shop.deps import require_token

ROUTERS = [users.router, orders.router]

api_router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
for router in ROUTERS:
    api_router.include_router(router)
