import os

DEBUG = bool(os.getenv("DEBUG"))
