from fastapi import FastAPI

from shop.setup import register_routes


def create_app() -> FastAPI:
    app = FastAPI(title="shop")
    register_routes(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
