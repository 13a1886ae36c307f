"""``python -m fastapi_medic``."""

from __future__ import annotations

from fastapi_medic.cli import main

if __name__ == "__main__":
    main()
