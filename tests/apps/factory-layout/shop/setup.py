from fastapi import FastAPI


def register_routes(app: FastAPI) -> None:
    from shop.api import api_router

    app.include_router(api_router)
