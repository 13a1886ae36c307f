"""Order lifecycle: create, pay, ship, cancel."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.db import DbSession, get_db
from app.models import Order
from app.repositories import orders as order_repo
from app.schemas import OrderCreate, OrderRead, PaymentRequest, ShipmentRequest
from app.services import inventory, notifications

logger = logging.getLogger(__name__)

router = APIRouter()


def _require(order: Order | None) -> Order:
    if order is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Order not found")
    return order


@router.get("", response_model=list[OrderRead])
async def list_orders(
    db: Session = Depends(get_db),
    order_status: Annotated[str | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Order]:
    stmt = select(Order).order_by(Order.id.desc()).limit(limit)
    if order_status:
        stmt = stmt.where(Order.status == order_status)
    return list(db.execute(stmt).scalars())


@router.get("/recent", response_model=list[OrderRead])
def recent_orders(limit: Annotated[int, Query(ge=1)] = 20) -> list[Order]:
    return order_repo.recent_orders(limit)


@router.post("", response_model=OrderRead, status_code=status.HTTP_201_CREATED)
def create_order(payload: OrderCreate, db: DbSession, background: BackgroundTasks) -> Order:
    try:
        order = order_repo.create_order(db, payload)
    except LookupError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    logger.info("order %s created for customer %s", order.id, order.customer_id)
    background.add_task(notifications.send_order_confirmation, order.id, order.customer.email)
    return order


@router.get("/{order_id}", response_model=OrderRead)
def get_order(order_id: int, db: DbSession) -> Order:
    return _require(order_repo.get_order(db, order_id))


@router.post("/{order_id}/pay", response_model=OrderRead)
async def pay_order(
    order_id: int,
    payment: PaymentRequest,
    db: DbSession,
    settings: Annotated[Settings, Depends(get_settings)],
) -> Order:
    import requests

    order = _require(await asyncio.to_thread(order_repo.get_order, db, order_id))
    if order.status != "pending":
        raise HTTPException(status.HTTP_409_CONFLICT, f"Order is {order.status}")

    charge = {"amount": order.total_cents, "source": payment.card_token, "order": order.id}
    for attempt in range(1, settings.payment_retries + 1):
        try:
            response = requests.post(settings.payment_api_url, json=charge, timeout=10)
            response.raise_for_status()
            break
        except requests.RequestException:
            logger.warning("payment attempt %d failed for order %s", attempt, order.id)
            if attempt == settings.payment_retries:
                raise HTTPException(status.HTTP_502_BAD_GATEWAY, "Payment provider error") from None
            time.sleep(0.5 * 2 ** (attempt - 1))

    paid = await asyncio.to_thread(order_repo.mark_paid, db, order.id, response.json()["id"])
    return _require(paid)


@router.post("/{order_id}/ship", response_model=OrderRead)
async def ship_order(order_id: int, shipment: ShipmentRequest, db: DbSession) -> Order:
    order = _require(
        await run_in_threadpool(order_repo.mark_shipped, db, order_id, shipment.tracking_number)
    )
    if order.status != "shipped":
        raise HTTPException(status.HTTP_409_CONFLICT, f"Order is {order.status}")
    notifications.notify_order_shipped(order.id, shipment.carrier, shipment.tracking_number)
    return order


@router.post("/{order_id}/cancel", response_model=OrderRead)
async def cancel_order(order_id: int, db: DbSession) -> Order:
    order = _require(await run_in_threadpool(inventory.release_for_order, db, order_id))
    if order.status != "cancelled":
        raise HTTPException(status.HTTP_409_CONFLICT, f"Order is {order.status}")
    await notifications.publish_event("order.cancelled", {"order_id": order.id})
    return order
