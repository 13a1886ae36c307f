"""Shop API: products, customers and orders."""
