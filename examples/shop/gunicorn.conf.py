# Production process manager settings: `gunicorn` picks this file up from the working directory.
import os

wsgi_app = "app.main:app"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = 4
worker_class = "uvicorn.workers.UvicornWorker"
timeout = 60
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
