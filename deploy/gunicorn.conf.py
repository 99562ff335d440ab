"""gunicorn for the web process (`gunicorn -c deploy/gunicorn.conf.py config.wsgi`).

Sizing, for the 2-core machine we document (override with the environment):
- workers = one per core (WEB_WORKERS, default: the CPU count). Python runs one thread at a
  time per process, so processes are what uses the cores.
- threads = 8 per worker (WEB_THREADS): our requests mostly wait, on PostgreSQL and above all
  on the hub (a CSMS authorize waits up to AUTHORIZE_TIMEOUT_SECONDS for Gireve's answer), so a
  worker serves other requests meanwhile. 2 × 8 = 16 requests at once, each thread holding one
  PostgreSQL connection (DB_CONN_MAX_AGE): keep workers × threads + Celery processes below
  PostgreSQL's max_connections (100 by default).
- More cores: WEB_WORKERS = cores, threads unchanged; or more machines behind the proxy (the web
  process keeps no state: sessions, cache and rate limits are in PostgreSQL and Redis).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 8))
# A request longer than this is killed with its worker (the slowest legitimate one, a finance
# export, streams its rows well within it).
timeout = int(os.environ.get("WEB_TIMEOUT", 60))
# On SIGTERM (deploy, systemctl stop) requests in flight get this long to finish.
graceful_timeout = 30
keepalive = 5
# Workers are replaced after this many requests (jittered): bounds slow memory growth.
max_requests = 5000
max_requests_jitter = 500
# nginx on the same machine sets X-Forwarded-For/-Proto; trust only it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
# Loads the app once in the master: workers fork ready (faster restarts, shared memory).
preload_app = True


def child_exit(server, worker):
    """prometheus_client multiprocess mode: a dead worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
