"""The plan editor: exercises from the catalogue (with their instructions), sets, reps,
hold, target ROM, side, dates and days; a preview validated by ``therapy.plan.parse_plan``;
then signed with the clinic key and pushed as ``rehab clinic plan push`` does (retained on
the ``plan`` leaf, the same version rules: above the last version pushed, at most
``MAX_VERSION_STEP`` above it, ``valid_until`` ahead). ``/plans`` shows which version
each device applied or why it refused one (:mod:`clinic.web.plan_status`)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from clinic.web.auth import page, require_user
from clinic.web.pages import _device
from clinic.web.plan_status import plan_states
from clinic.web.sending import SendError, send, signing_key
from exercises.catalogue import CATALOGUE
from therapy.errors import PlanError
from therapy.plan import Side, Weekday, parse_plan, parse_plan_bytes
from therapy.signing import MAX_VERSION_STEP, seal

router = APIRouter()
ROWS = 8  # exercise rows on the form (a plan may hold up to 30; eight fit a screen)
NUMBERS = (("sets", "sets", int), ("reps", "reps", int), ("hold_s", "hold", float),
           ("target_rom_deg", "rom", float))
FIELD_MAX = 200
DEFAULT_DAYS = 56  # a new plan's length: eight weeks


class EditorError(ValueError):
    """A form value the plan cannot take (shown above the form, status 400)."""


def catalogue() -> list[dict[str, Any]]:
    return sorted((e.to_json() for e in CATALOGUE.values()), key=lambda e: str(e["name"]))


def _day(text: str, field: str, *, end: bool = False) -> str:
    try:
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise EditorError(f"{field}: use a date, e.g. 2026-12-01") from None
    # the start of that day in the clinic's zone; an end date counts as the whole day
    start = datetime.combine(d, time()).astimezone()
    return (start.replace(hour=23, minute=59, second=59) if end else start).isoformat()


def form_to_plan(form: FormData | dict[str, str]) -> dict[str, Any]:
    """The plan JSON the form describes (rows without an exercise are skipped; empty
    number fields take the catalogue's values). Validation is :func:`parse_plan`'s."""
    def get(name: str) -> str:
        return str(form.get(name, "") or "")[:FIELD_MAX].strip()

    exercises: list[dict[str, Any]] = []
    for i in range(ROWS):
        ex = get(f"ex_{i}")
        if not ex:
            continue
        entry: dict[str, Any] = {"exercise_id": ex, "side": get(f"side_{i}") or "right"}
        for key, short, kind in NUMBERS:
            raw = get(f"{short}_{i}")
            if raw:
                try:
                    entry[key] = kind(raw)
                except ValueError:
                    raise EditorError(f"exercise {len(exercises) + 1}: {key} {raw!r} is not "
                                      "a number") from None
        exercises.append(entry)
    try:
        version, sessions = int(get("version")), int(get("sessions") or 1)
    except ValueError:
        raise EditorError("version and sessions a day must be whole numbers") from None
    days = [d for d in (form.getlist("days") if isinstance(form, FormData) else
                        form.get("days", "").split(",")) if d]  # type: ignore[union-attr]
    return {"plan_id": get("plan_id"), "version": version,
            "valid_from": _day(get("valid_from"), "valid from"),
            "valid_until": _day(get("valid_until"), "valid until", end=True),
            "schedule": {"days": days, "sessions_per_day": sessions},
            "exercises": exercises}


def plan_to_form(text: str | None, device: str, next_version: int) -> dict[str, Any]:
    """The form's values: the last plan pushed (next version) or a fresh start."""
    today = date.today()
    form: dict[str, Any] = {"plan_id": f"plan-{device}"[:64], "version": str(next_version),
                            "valid_from": today.isoformat(),
                            "valid_until": (today + timedelta(days=DEFAULT_DAYS)).isoformat(),
                            "days": [d.value for d in Weekday], "sessions": "1"}
    if text:
        try:
            plan = parse_plan_bytes(text)
        except PlanError:
            return form
        form.update(plan_id=plan.plan_id, valid_from=plan.valid_from.date().isoformat(),
                    valid_until=plan.valid_until.date().isoformat(),
                    days=[str(d) for d in plan.schedule.days],
                    sessions=str(plan.schedule.sessions_per_day))
        for i, e in enumerate(plan.exercises[:ROWS]):
            form.update({f"ex_{i}": e.exercise_id, f"side_{i}": str(e.side),
                         f"sets_{i}": str(e.sets), f"reps_{i}": str(e.reps),
                         f"hold_{i}": f"{e.hold_s:g}", f"rom_{i}": f"{e.target_rom_deg:g}"})
    return form


def _last_version(store: Any, device: str) -> int:
    text = store.latest_plan(device)
    try:
        return parse_plan_bytes(text).version if text else 0
    except PlanError:
        return 0


def _editor(request: Request, device: str, form: dict[str, Any], status: int = 200,
            error: str = "", preview: Any = None, done: str = "") -> HTMLResponse:
    state = request.app.state
    states = plan_states(state.engine, [device])
    return page(request, "plan_editor.html", status, device=device,
                label=state.labels.get(device), form=form, rows=range(ROWS),
                catalogue=catalogue(), sides=[s.value for s in Side],
                weekdays=[d.value for d in Weekday], error=error, preview=preview,
                done=done, status_row=states[0] if states else None)


@router.get("/patients/{device}/plan", response_class=HTMLResponse)
def editor(request: Request, device: str, done: str = "",
           actor: str = Depends(require_user)) -> HTMLResponse:
    device, state = _device(device), request.app.state
    text = state.store.latest_plan(device)
    form = plan_to_form(text, device, _last_version(state.store, device) + 1)
    state.audit.record(actor, "view", f"plan editor {device}", device)
    pushed = "Plan signed and pushed; the device applies it when it next connects." \
        if done == "pushed" else ""
    return _editor(request, device, form, done=pushed)


def _form_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: str(v)[:FIELD_MAX] for k, v in form.items() if k != "days"}
    values["days"] = [str(d) for d in form.getlist("days")]
    return values


@router.post("/patients/{device}/plan")
async def submit(request: Request, device: str,
                 actor: str = Depends(require_user)) -> Response:
    device, state = _device(device), request.app.state
    form = await request.form()
    values = _form_values(form)
    try:
        obj = form_to_plan(form)
        plan = parse_plan(obj)
    except (EditorError, PlanError) as exc:
        return _editor(request, device, values, 400, error=str(exc))
    text = json.dumps(obj, indent=1)
    if form.get("action") != "push":
        return _editor(request, device, values, preview=plan)
    now = datetime.now(timezone.utc)
    last = _last_version(state.store, device)
    error = ""
    if plan.valid_until <= now:
        error = f"valid until {plan.valid_until.date()} has passed"
    elif plan.version <= last:
        error = f"version {plan.version} is not above {last}, the last version pushed to " \
                f"{device}: the device would refuse it"
    elif plan.version - last > MAX_VERSION_STEP:
        error = f"version {plan.version} is more than {MAX_VERSION_STEP} above {last}: " \
                "devices refuse such a jump"
    if error:
        return _editor(request, device, values, 400, error=error, preview=plan)
    try:
        payload = seal(text, signing_key(state.key_file), clinic=state.clinic, device=device,
                       issued_at=now)
        send(state, device, "plan", payload, retain=True)
    except SendError as exc:
        return _editor(request, device, values, 503, error=str(exc), preview=plan)
    state.store.add_plan(device, plan.version, text)
    state.audit.record(actor, "change", f"plan {plan.plan_id} version {plan.version} pushed",
                       device)
    return RedirectResponse(f"/patients/{device}/plan?done=pushed", status_code=303)


@router.get("/plans", response_class=HTMLResponse)
def plans_page(request: Request, actor: str = Depends(require_user)) -> HTMLResponse:
    state = request.app.state
    devices = list(state.store.devices())
    state.audit.record(actor, "view", "plans")
    rows = plan_states(state.engine, devices)
    return page(request, "plans.html", rows=rows,
                labels={r.device: state.labels.get(r.device) for r in rows})
