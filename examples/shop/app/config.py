"""Runtime configuration, read from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    environment: str = field(default_factory=lambda: _env("APP_ENV", "development"))
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", "sqlite:///./shop.db"))
    currency: str = field(default_factory=lambda: _env("SHOP_CURRENCY", "EUR"))
    tax_rate_percent: int = field(default_factory=lambda: int(_env("SHOP_TAX_RATE_PERCENT", "20")))
    default_page_size: int = field(default_factory=lambda: int(_env("SHOP_PAGE_SIZE", "50")))
    fx_api_url: str = field(default_factory=lambda: _env("FX_API_URL", "https://api.frankfurter.app"))
    payment_api_url: str = field(
        default_factory=lambda: _env("PAYMENT_API_URL", "http://localhost:8081/v1/charges")
    )
    payment_retries: int = field(default_factory=lambda: int(_env("PAYMENT_RETRIES", "3")))
    fulfilment_webhook_url: str = field(
        default_factory=lambda: _env("FULFILMENT_WEBHOOK_URL", "http://localhost:8082/hooks/orders")
    )
    webhook_timeout: float = field(default_factory=lambda: float(_env("WEBHOOK_TIMEOUT", "5")))


@lru_cache
def get_settings() -> Settings:
    """Settings for this process; cached so every caller sees the same values."""
    return Settings()
