"""Recording a video visit (issue 16): only with the patient's yes, stored only at the clinic.

The therapist presses "Ask to record" on the visit page (``POST .../visit/{call}/record``);
the relay sends ``record_request`` to the kiosk, whose screen asks the patient (Yes / No;
no answer in :data:`mqtt.visit.RECORD_ANSWER_S` is a no). The page polls the call's state
(``recording``: asking, recording, declined, stopped): only on ``recording`` does the
browser record (MediaRecorder of the patient's stream and the therapist's voice), and it
uploads the file when recording stops (the therapist's Stop, ``POST .../record/stop``; the
patient's Stop on the kiosk; a hang-up). ``POST .../visit/{call}/recording`` stores the
upload only for a call whose patient said yes, one file per yes, under the clinic's data
dir (``<data dir>/recordings/<device>/<appointment>/``, owner-only), with a JSON record
beside it: who asked, the patient's answer, when it started and stopped, who stopped it,
the size. The kiosk never writes the video. The patient's page lists the recordings
(:func:`list_recordings`); each download, request, answer and upload is in the web audit.
Every POST needs the CSRF header like the page's other calls.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse

from clinic.errors import ClinicError
from clinic.web.auth import require_user
from mqtt.visit import RECORD_ANSWER_S
from mqtt.topics import valid_id

router = APIRouter()
BASE = "/patients/{device}/appointments/{ident}/visit/{call}"
RECORDINGS = "recordings"  # under the clinic's data dir
RECORDING_MAX_BYTES = 2 * 1024**3  # 2 GiB: an hour of 640x480 VP8 is ~300-700 MB
WEBM_MAGIC = b"\x1a\x45\xdf\xa3"  # EBML header: what Chromium's MediaRecorder writes
MP4_BOX = b"ftyp"  # bytes 4..8 of an MP4 (Safari's MediaRecorder)
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}-[0-9]{1,4}\.(webm|mp4)$")


class Recording(NamedTuple):
    name: str  # the file name under the device's folder: <call>-<n>.<ext>
    appointment: str
    call: str
    asked_by: str
    answer: str
    started_at: str
    stopped_at: str
    stopped_by: str
    size_bytes: int
    stored_by: str


def _device(ident: str) -> str:
    """A device or appointment id as the URL gives it (as clinic.web.pages checks it)."""
    if not valid_id(ident):
        raise HTTPException(404, "no such device")
    return ident


def recordings_dir(state: Any) -> Path:
    """``<data dir>/recordings`` (the data dir is where the clinic's signing key lives;
    ``state.recordings_dir`` overrides it)."""
    chosen = getattr(state, "recordings_dir", None)
    if chosen is not None:
        return Path(chosen)
    if state.key_file is None:
        raise HTTPException(503, "recordings need the clinic's data dir (rehab clinic serve)")
    return Path(state.key_file).parent / RECORDINGS


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def list_recordings(state: Any, device: str) -> list[Recording]:
    """The device's stored recordings, newest first (the patient page's list)."""
    try:
        root = recordings_dir(state) / device
    except HTTPException:  # no data dir: nothing can have been stored
        return []
    if not root.is_dir():
        return []
    found = []
    for meta in root.glob("*/*.json"):
        try:
            found.append(Recording(**json.loads(meta.read_text())))
        except (ValueError, TypeError) as exc:  # a damaged record: listed as damaged
            found.append(Recording(meta.stem, meta.parent.name, "", "", "", "", "", "", 0,
                                   f"damaged record ({exc.__class__.__name__})"))
    return sorted(found, key=lambda r: r.started_at, reverse=True)


def _relay_call(request: Request, device: str, ident: str, call: str) -> tuple[Any, Any]:
    from clinic.web.visit_page import _call

    return _call(request, _device(device), ident, call)  # type: ignore[no-any-return]


@router.post(BASE + "/record")
def ask(request: Request, device: str, ident: str, call: str,
        actor: str = Depends(require_user)) -> JSONResponse:
    relay, c = _relay_call(request, device, ident, call)
    if c.state != "connected":
        return JSONResponse({"error": "recording can be asked for in a connected call"}, 409)
    if c.recording() in ("asking", "recording"):
        return JSONResponse({"error": f"recording is already {c.recording()}"}, 409)
    try:
        relay.request_recording(device, call, by=actor)
    except ClinicError as exc:
        return JSONResponse({"error": str(exc)}, 503)
    request.app.state.audit.record(actor, "change", f"video visit {call} asked the patient "
                                   "to record", device)
    return JSONResponse({"sent": True})


@router.post(BASE + "/record/stop")
def stop(request: Request, device: str, ident: str, call: str,
         actor: str = Depends(require_user)) -> JSONResponse:
    relay, c = _relay_call(request, device, ident, call)
    if c.recording() != "recording":
        return JSONResponse({"stopped": False, "recording": c.recording()})
    try:
        relay.stop_recording(device, call)
    except ClinicError as exc:
        return JSONResponse({"error": str(exc)}, 503)
    request.app.state.audit.record(actor, "change", f"video visit {call} recording stopped "
                                   "by the therapist", device)
    return JSONResponse({"stopped": True})


def answer_audit(request: Request, actor: str, device: str, c: Any) -> None:
    """Write the patient's answer to the web audit once, when the page first sees it."""
    rec = c.recording()
    if c.record_asked_at is None or rec == "asking":
        return
    if c.record_answer_logged == c.record_asked_at:  # this request's answer is written
        return
    c.record_answer_logged = c.record_asked_at
    said = ("said yes" if c.consent else "said no" if c.consent is False
            else f"did not answer within {RECORD_ANSWER_S:g} s")
    request.app.state.audit.record(f"patient of {device}", "change",
                                   f"video visit {c.call} recording: the patient {said} "
                                   f"(asked by {c.record_asked_by or actor})", device)


async def _save(request: Request, dest: Path) -> int:
    """The request body into ``dest`` (owner-only), at most RECORDING_MAX_BYTES; its size."""
    size = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > RECORDING_MAX_BYTES:
                raise HTTPException(413, f"a recording is at most {RECORDING_MAX_BYTES} bytes")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size


@router.post(BASE + "/recording")
async def upload(request: Request, device: str, ident: str, call: str, why: str = "",
                 actor: str = Depends(require_user)) -> JSONResponse:
    _relay, c = _relay_call(request, device, ident, call)
    if c.record_grants <= c.record_uploads:
        request.app.state.audit.record(actor, "change", f"video visit {call} recording "
                                       "refused: the patient did not agree", device)
        return JSONResponse({"error": "the patient did not agree to this recording: it is "
                                      "not stored"}, 403)
    folder = recordings_dir(request.app.state) / device / ident
    _private_dir(folder.parent.parent)
    _private_dir(folder.parent)
    _private_dir(folder)
    n = c.record_uploads + 1
    part = folder / f".{call}-{n}.part"
    try:
        size = await _save(request, part)
        with open(part, "rb") as f:
            head = f.read(12)
        ext = "webm" if head.startswith(WEBM_MAGIC) else "mp4" if head[4:8] == MP4_BOX else ""
        if not ext or size < 1024:
            raise HTTPException(400, "not a WebM or MP4 video (or under 1 KiB)")
        name = f"{call}-{n}.{ext}"
        os.replace(part, folder / name)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    c.record_uploads = n
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    started = c.record_started_at.isoformat(timespec="seconds") if c.record_started_at else ""
    stopped = c.record_stopped_at.isoformat(timespec="seconds") if c.record_stopped_at else now
    ended = why == "call_ended" or c.state in ("hung_up", "failed")
    # "therapist" as the stop the therapist's page sends says it (an upload without it: its
    # page's stop did not get through)
    by = c.record_stopped_by or ("the call ended" if ended else "therapist")
    rec = Recording(name, ident, call, c.record_asked_by, "yes", started, stopped, by, size,
                    actor)
    meta = folder / f"{call}-{n}.json"
    fd = os.open(meta, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(rec._asdict(), out)
    request.app.state.audit.record(actor, "change", f"video visit {call} recording stored: "
                                   f"{name}, {size} bytes, appointment {ident}, started "
                                   f"{started}, stopped {stopped} by {by}", device)
    return JSONResponse({"stored": name, "bytes": size})


@router.get("/patients/{device}/recordings/{appointment}/{name}")
def download(request: Request, device: str, appointment: str, name: str,
             actor: str = Depends(require_user)) -> FileResponse:
    _device(device)
    _device(appointment)
    if not NAME.match(name):
        raise HTTPException(404, "no such recording")
    path = recordings_dir(request.app.state) / device / appointment / name
    if not path.is_file():
        raise HTTPException(404, "no such recording")
    request.app.state.audit.record(actor, "view", f"recording {appointment}/{name}", device)
    return FileResponse(path, media_type="video/webm" if name.endswith(".webm")
                        else "video/mp4", filename=name)
