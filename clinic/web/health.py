"""``GET /healthz``: 200 JSON without login, for load balancers and systemd checks.

The router reads ``app.state.ingest`` (set by ``rehab clinic serve``: a callable returning
the ingest's figures). ``status`` is ``ok`` while ingest is connected to the broker,
``degraded`` otherwise (still 200: the web pages work without the broker); an app without
ingest (tests, a web-only process) answers ``ok`` with ``"ingest": null``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request

IngestStatus = Callable[[], dict[str, Any]]

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    status: IngestStatus | None = getattr(request.app.state, "ingest", None)
    ingest = status() if status is not None else None
    ok = ingest is None or bool(ingest.get("connected"))
    resender = getattr(request.app.state, "resender", None)  # clinic.resender
    return {"status": "ok" if ok else "degraded",
            "clinic": getattr(request.app.state, "clinic", None), "ingest": ingest,
            "downlink": resender.status() if resender is not None else None}


def health_app(clinic: str, ingest: IngestStatus | None = None) -> FastAPI:
    """A minimal app with only ``/healthz`` (when the web application is not installed)."""
    app = FastAPI(title="rehab-kiosk clinic", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.clinic = clinic
    app.state.ingest = ingest
    app.include_router(router)
    return app
