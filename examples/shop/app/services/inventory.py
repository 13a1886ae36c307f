"""Stock reservation and release."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Order, Product
from app.repositories import orders as order_repo


class OutOfStockError(Exception):
    def __init__(self, product_id: int, requested: int, available: int) -> None:
        super().__init__(f"product {product_id}: requested {requested}, {available} in stock")
        self.product_id = product_id
        self.requested = requested
        self.available = available


def reserve_stock(db: Session, product_id: int, quantity: int) -> Product:
    """Take `quantity` units out of stock; the caller commits."""
    product = db.get(Product, product_id, with_for_update=True)
    if product is None:
        raise LookupError(f"product {product_id} not found")
    if product.stock < quantity:
        raise OutOfStockError(product_id, quantity, product.stock)
    product.stock -= quantity
    return product


def release_for_order(db: Session, order_id: int) -> Order | None:
    """Cancel an unshipped order and put its items back in stock."""
    order = order_repo.get_order(db, order_id)
    if order is None or order.status in ("cancelled", "shipped"):
        return order
    for item in order.items:
        item.product.stock += item.quantity
    order.status = "cancelled"
    db.commit()
    return order
