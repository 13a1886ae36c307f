import os

CURRENCY = os.getenv("SHOP_CURRENCY", "EUR")
PASS = os.getenv("PASSTHROUGH", "x")
