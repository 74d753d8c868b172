"""The live page: every device with a set running, its reps arriving as they happen.

``GET /live`` lists the running sets (``app.state.live``, a :class:`clinic.live.LiveFanout`
that ``rehab clinic serve`` shares with ingest); ``GET /live/events`` is a server-sent
event stream (Starlette's ``StreamingResponse``): first a ``snapshot`` of the running
sets, then one ``live`` event per live-leaf message, each with the device's target ROM
and band (from the plan last pushed to it, else the catalogue) and whether the rep fell
in it. ``?device=`` narrows both to one device (the visit page uses it). A comment line
every :data:`HEARTBEAT_S` seconds finds closed connections. ``GET /api/live``: the
running sets as JSON.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from clinic.web.auth import page, require_user
from exercises.catalogue import CATALOGUE
from mqtt.topics import valid_id
from therapy.errors import PlanError
from therapy.plan import parse_plan_bytes

router = APIRouter()
HEARTBEAT_S = 15.0
QUEUE_MAX = 2000  # events waiting for a slow page; beyond it they are dropped for that page
TARGET_TTL_S = 10.0  # a plan pushed meanwhile shows within this
# the kiosk's band (kiosk/vm/live.py BAND_LOW/BAND_HIGH): 85 % .. 115 % of the target + 5 deg
BAND_LOW, BAND_HIGH, BAND_PLUS_DEG = 0.85, 1.15, 5.0


def band(target_deg: float) -> tuple[float, float]:
    return round(target_deg * BAND_LOW, 1), round(target_deg * BAND_HIGH + BAND_PLUS_DEG, 1)


def placement(rom_deg: Any, lo: float, hi: float) -> str:
    """``in``, ``low`` or ``high`` against the band; ``?`` for a value that is no number."""
    if isinstance(rom_deg, bool) or not isinstance(rom_deg, (int, float)):
        return "?"
    return "low" if rom_deg < lo else "high" if rom_deg > hi else "in"


class Targets:
    """Target ROM by device and exercise: the last plan pushed, else the catalogue."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._plans: dict[str, tuple[float, dict[str, float]]] = {}

    def target(self, device: str, exercise: str) -> float | None:
        now = time.monotonic()
        cached = self._plans.get(device)
        if cached is None or now - cached[0] > TARGET_TTL_S:
            cached = (now, self._read(device))
            self._plans[device] = cached
        if exercise in cached[1]:
            return cached[1][exercise]
        ex = CATALOGUE.get(exercise)
        return ex.target_rom_deg if ex is not None else None

    def _read(self, device: str) -> dict[str, float]:
        text = self.store.latest_plan(device)
        if not text:
            return {}
        try:
            plan = parse_plan_bytes(text)
        except PlanError:
            return {}
        return {e.exercise_id: e.target_rom_deg for e in plan.exercises}


def enrich(state: Any, targets: Targets, device: str, body: dict[str, Any]) -> dict[str, Any]:
    """A live event or running set as the page shows it: label, name, target, band."""
    exercise = str(body.get("exercise", ""))
    target = targets.target(device, exercise)
    out = {**body, "device": device, "label": state.labels.get(device),
           "exercise_name": CATALOGUE[exercise].name if exercise in CATALOGUE else exercise,
           "target_rom_deg": target}
    if target is not None:
        lo, hi = band(target)
        out["band"] = [lo, hi]
        if isinstance(body.get("rep"), dict):
            out["rep"] = {**body["rep"], "place": placement(body["rep"].get("rom_deg"), lo, hi)}
        if isinstance(body.get("reps"), list):
            out["reps"] = [{**r, "place": placement(r.get("rom_deg"), lo, hi)}
                           for r in body["reps"] if isinstance(r, dict)]
    return out


def _targets(state: Any) -> Targets:
    if getattr(state, "live_targets", None) is None:
        state.live_targets = Targets(state.store)
    return state.live_targets  # type: ignore[no-any-return]


def _only(device: str | None) -> str | None:
    return device if device and valid_id(device) else None


def running(state: Any, device: str | None) -> list[dict[str, Any]]:
    targets = _targets(state)
    return [enrich(state, targets, s["device"], s) for s in state.live.running()
            if device is None or s["device"] == device]


@router.get("/live", response_class=HTMLResponse)
def live_page(request: Request, actor: str = Depends(require_user)) -> HTMLResponse:
    state = request.app.state
    state.audit.record(actor, "view", "live sets")
    return page(request, "live.html", sets=running(state, None),
                names={k: e.name for k, e in CATALOGUE.items()})


@router.get("/api/live")
def live_json(request: Request, device: str | None = None,
              actor: str = Depends(require_user)) -> JSONResponse:
    state = request.app.state
    state.audit.record(actor, "view", "live sets (api)", _only(device))
    return JSONResponse(running(state, _only(device)))


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get("/live/events")
async def live_events(request: Request, device: str | None = None,
                      actor: str = Depends(require_user)) -> StreamingResponse:
    state = request.app.state
    only = _only(device)
    state.audit.record(actor, "view", "live stream", only)
    return StreamingResponse(_stream(state, only), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _stream(state: Any, only: str | None) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_MAX)

    def put(item: tuple[str, dict[str, Any]]) -> None:
        if not queue.full():
            queue.put_nowait(item)

    def subscriber(device: str, body: dict[str, Any]) -> None:  # paho's thread
        if only is None or device == only:
            loop.call_soon_threadsafe(put, (device, body))  # RuntimeError once closed

    targets = _targets(state)
    snapshot = state.live.subscribe(subscriber)
    try:
        yield sse("snapshot", [enrich(state, targets, s["device"], s) for s in snapshot
                               if only is None or s["device"] == only])
        while True:
            try:  # asyncio.timeout: 3.11's wait_for can drop a cancellation with an item
                async with asyncio.timeout(HEARTBEAT_S):
                    device, body = await queue.get()
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield sse("live", enrich(state, targets, device, body))
    finally:
        state.live.unsubscribe(subscriber)
