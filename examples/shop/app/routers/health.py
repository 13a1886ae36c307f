"""Liveness and readiness probes."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, status
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings, get_settings

logger = logging.getLogger(__name__)

router = APIRouter()


def _database_ok(database_url: str) -> bool:
    engine = create_engine(database_url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("readiness: database check failed")
        return False
    return True


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
def ready(settings: Annotated[Settings, Depends(get_settings)]) -> JSONResponse:
    ok = _database_ok(settings.database_url)
    return JSONResponse(
        status_code=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"status": "ok" if ok else "unavailable", "environment": settings.environment},
    )


@router.get("/dependencies")
async def dependencies(settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, Any]:
    """Reachability of the services we call out to (informational, never fails)."""
    targets = {"payments": settings.payment_api_url, "fulfilment": settings.fulfilment_webhook_url}
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=2.0) as client:
        for name, url in targets.items():
            try:
                response = await client.head(url)
                results[name] = {"reachable": True, "status": response.status_code}
            except httpx.HTTPError as exc:
                results[name] = {"reachable": False, "error": type(exc).__name__}
    return results
