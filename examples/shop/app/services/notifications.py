"""Outbound notifications to the fulfilment system."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from app.config import get_settings

logger = logging.getLogger(__name__)


def _post_webhook(event: str, payload: dict[str, Any]) -> None:
    # The fulfilment team's client library still uses requests; only these webhooks need it.
    import requests

    settings = get_settings()
    response = requests.post(
        settings.fulfilment_webhook_url,
        json={"event": event, "data": payload},
        timeout=settings.webhook_timeout,
    )
    response.raise_for_status()


def send_order_confirmation(order_id: int, email: str) -> None:
    """Runs as a background task once the order is committed."""
    try:
        _post_webhook("order.created", {"order_id": order_id, "email": email})
    except Exception:
        logger.exception("order.created webhook failed for order %s", order_id)


def notify_order_shipped(order_id: int, carrier: str, tracking_number: str) -> None:
    try:
        _post_webhook(
            "order.shipped",
            {"order_id": order_id, "carrier": carrier, "tracking_number": tracking_number},
        )
    except Exception:
        logger.exception("order.shipped webhook failed for order %s", order_id)


async def publish_event(event: str, payload: dict[str, Any]) -> None:
    settings = get_settings()
    async with httpx.AsyncClient(timeout=settings.webhook_timeout) as client:
        try:
            response = await client.post(
                settings.fulfilment_webhook_url, json={"event": event, "data": payload}
            )
            response.raise_for_status()
        except httpx.HTTPError:
            logger.warning("%s webhook failed", event, exc_info=True)
