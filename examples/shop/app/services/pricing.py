"""Quotes: volume discounts, tax, and conversion into the customer's currency."""

from __future__ import annotations

from functools import lru_cache

import httpx

from app.config import Settings, get_settings
from app.schemas import Quote

# (minimum subtotal in cents, discount in percent), highest threshold first
VOLUME_DISCOUNTS: tuple[tuple[int, int], ...] = ((50_000, 10), (10_000, 5))


class PricingService:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.client = httpx.Client(base_url=self.settings.fx_api_url, timeout=5.0)

    def convert(self, amount_cents: int, currency: str) -> int:
        """Convert from the shop currency using the FX provider's latest rate."""
        if currency == self.settings.currency:
            return amount_cents
        response = self.client.get(
            "/latest", params={"from": self.settings.currency, "to": currency}
        )
        response.raise_for_status()
        rate = float(response.json()["rates"][currency])
        return round(amount_cents * rate)

    def quote(self, product_id: int, unit_price_cents: int, quantity: int, currency: str) -> Quote:
        subtotal = unit_price_cents * quantity
        percent = next((p for threshold, p in VOLUME_DISCOUNTS if subtotal >= threshold), 0)
        discount = subtotal * percent // 100
        tax = (subtotal - discount) * self.settings.tax_rate_percent // 100
        return Quote(
            product_id=product_id,
            quantity=quantity,
            currency=currency,
            subtotal=self.convert(subtotal, currency),
            discount=self.convert(discount, currency),
            tax=self.convert(tax, currency),
            total=self.convert(subtotal - discount + tax, currency),
        )


@lru_cache
def get_pricing_service() -> PricingService:
    """Shared instance, so the HTTP connection pool is reused across requests."""
    return PricingService()
