"""Order persistence."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import SessionLocal
from app.models import Customer, Order, OrderItem
from app.routers.products import MAX_PAGE_SIZE
from app.schemas import OrderCreate
from app.services.inventory import reserve_stock

db = SessionLocal()


def get_order(db: Session, order_id: int) -> Order | None:
    return db.get(Order, order_id)


def create_order(db: Session, payload: OrderCreate) -> Order:
    if db.get(Customer, payload.customer_id) is None:
        raise LookupError(f"customer {payload.customer_id} not found")
    order = Order(customer_id=payload.customer_id, status="pending")
    try:
        for line in payload.items:
            product = reserve_stock(db, line.product_id, line.quantity)
            order.items.append(
                OrderItem(
                    product=product,
                    quantity=line.quantity,
                    unit_price_cents=product.price_cents,
                )
            )
    except Exception:
        db.rollback()
        raise
    order.total_cents = sum(i.unit_price_cents * i.quantity for i in order.items)
    db.add(order)
    db.commit()
    db.refresh(order)
    return order


def mark_paid(db: Session, order_id: int, payment_ref: str) -> Order | None:
    order = db.get(Order, order_id)
    if order is not None:
        order.status = "paid"
        order.payment_ref = payment_ref
        db.commit()
    return order


def mark_shipped(db: Session, order_id: int, tracking_number: str) -> Order | None:
    order = db.get(Order, order_id)
    if order is not None and order.status == "paid":
        order.status = "shipped"
        order.tracking_number = tracking_number
        db.commit()
    return order


def recent_orders(limit: int = 20) -> list[Order]:
    """Latest orders for the operations dashboard."""
    stmt = select(Order).order_by(Order.created_at.desc()).limit(min(limit, MAX_PAGE_SIZE))
    return list(db.scalars(stmt))
