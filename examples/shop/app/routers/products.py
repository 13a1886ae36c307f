"""Catalogue endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.config import Settings
from app.db import DbSession
from app.models import Product
from app.schemas import ProductCreate, ProductRead, Quote
from app.services.pricing import PricingService, get_pricing_service

router = APIRouter()

settings = Settings()

MAX_PAGE_SIZE = 200


@router.get("", response_model=list[ProductRead])
def list_products(
    db: DbSession,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
) -> list[Product]:
    stmt = select(Product).order_by(Product.id).offset(offset)
    return list(db.scalars(stmt.limit(limit or settings.default_page_size)))


@router.post("", response_model=ProductRead, status_code=status.HTTP_201_CREATED)
def create_product(payload: ProductCreate, db: DbSession) -> Product:
    product = Product(**payload.model_dump())
    db.add(product)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status.HTTP_409_CONFLICT, "SKU already exists") from None
    db.refresh(product)
    return product


@router.get("/{product_id}", response_model=ProductRead)
def get_product(product_id: int, db: DbSession) -> Product:
    product = db.get(Product, product_id)
    if product is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Product not found")
    return product


@router.get("/{product_id}/quote", response_model=Quote)
def quote_product(
    product_id: int,
    db: DbSession,
    quantity: Annotated[int, Query(gt=0, le=1000)] = 1,
    pricing=PricingService(),
) -> Quote:
    product = get_product(product_id, db)
    return pricing.quote(product.id, product.price_cents, quantity, settings.currency)


@router.get("/{product_id}/price", response_model=Quote)
async def product_price(
    product_id: int,
    db: DbSession,
    pricing: Annotated[PricingService, Depends(get_pricing_service)],
    currency: Annotated[str, Query(min_length=3, max_length=3)] = "EUR",
) -> Quote:
    product = await run_in_threadpool(get_product, product_id, db)
    return pricing.quote(product.id, product.price_cents, 1, currency.upper())
