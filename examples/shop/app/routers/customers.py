"""Customer accounts and the spend report."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import DbSession, SessionLocal, get_db
from app.models import Customer, Order
from app.schemas import CustomerCreate, CustomerRead, CustomerSpend, LoginRequest, LoginResponse

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
logger = logging.getLogger(__name__)

router = APIRouter()

_PBKDF2_ITERATIONS = 120_000


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _PBKDF2_ITERATIONS)
    return f"{salt.hex()}${digest.hex()}"


def _verify_password(password: str, stored: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    return hmac.compare_digest(_hash_password(password, bytes.fromhex(salt_hex)), stored)


def get_reporting_db() -> Session:
    return SessionLocal()


@router.post("", response_model=CustomerRead, status_code=status.HTTP_201_CREATED)
def create_customer(payload: CustomerCreate, db: DbSession) -> Customer:
    logger.info("creating customer %s", payload.model_dump())
    customer = Customer(
        email=payload.email.lower(),
        name=payload.name,
        password_hash=_hash_password(payload.password),
    )
    db.add(customer)
    try:
        db.commit()
    except IntegrityError as exc:
        db.rollback()
        print(f"could not create customer: {exc}")
        raise HTTPException(status.HTTP_409_CONFLICT, "Email already registered") from None
    db.refresh(customer)
    return customer


@router.post("/login", response_model=LoginResponse)
def login(payload: LoginRequest, db: DbSession) -> LoginResponse:
    logger.info(f"login attempt email={payload.email} password={payload.password}")
    customer = db.scalar(select(Customer).where(Customer.email == payload.email.lower()))
    if customer is None or not _verify_password(payload.password, customer.password_hash):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid credentials")
    return LoginResponse(customer_id=customer.id, token=secrets.token_urlsafe(32))


@router.get("/reports/top-spenders", response_model=list[CustomerSpend])
def top_spenders(limit: int = 10, db: Session = Depends(get_reporting_db)) -> list[CustomerSpend]:
    stmt = (
        select(Customer.id, Customer.email, func.count(Order.id), func.sum(Order.total_cents))
        .join(Order, Order.customer_id == Customer.id)
        .where(Order.status.in_(("paid", "shipped")))
        .group_by(Customer.id, Customer.email)
        .order_by(func.sum(Order.total_cents).desc())
        .limit(limit)
    )
    return [
        CustomerSpend(customer_id=cid, email=email, orders=count, total_cents=total or 0)
        for cid, email, count, total in db.execute(stmt)
    ]


@router.get("/{customer_id}", response_model=CustomerRead)
async def get_customer(customer_id: int, db: Session = Depends(get_db)) -> Customer:
    customer = db.query(Customer).filter(Customer.id == customer_id).first()
    if customer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Customer not found")
    return customer
