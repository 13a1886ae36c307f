import typing
from typing import TYPE_CHECKING

import starlette
import yaml
import jwt

from helpers import util
try:
    import orjson
except ImportError:
    orjson = None

if TYPE_CHECKING:
    import mypy_extensions
