"""Request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ProductCreate(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price_cents: int = Field(gt=0)
    stock: int = Field(default=0, ge=0)


class ProductRead(ProductCreate):
    model_config = ConfigDict(from_attributes=True)

    id: int


class Quote(BaseModel):
    product_id: int
    quantity: int
    currency: str
    subtotal: int
    discount: int
    tax: int
    total: int


class CustomerCreate(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=128)


class CustomerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    created_at: datetime


class LoginRequest(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN)
    password: str


class LoginResponse(BaseModel):
    customer_id: int
    token: str


class CustomerSpend(BaseModel):
    customer_id: int
    email: str
    orders: int
    total_cents: int


class OrderLine(BaseModel):
    product_id: int
    quantity: int = Field(gt=0, le=100)


class OrderCreate(BaseModel):
    customer_id: int
    items: list[OrderLine] = Field(min_length=1)


class OrderItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    quantity: int
    unit_price_cents: int


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    status: str
    total_cents: int
    payment_ref: str | None
    tracking_number: str | None
    created_at: datetime
    items: list[OrderItemRead]


class PaymentRequest(BaseModel):
    card_token: str = Field(min_length=1)


class ShipmentRequest(BaseModel):
    carrier: str
    tracking_number: str
