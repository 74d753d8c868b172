"""Virtual visit on loopback: call set-up time, kiosk CPU, frames per second both ways.

``python -m bench.visit [--seconds 60] [--width 640 --height 480 --fps 15]``

A Mosquitto of its own (plain, loopback), the kiosk in this process (device link, visit
signalling, view-model, aiortc call on a synthetic camera through the FrameHub; the
patient says yes at once) and the clinic in a child process (the relay and an aiortc peer
standing in for the therapist's browser, its own synthetic camera at the same size and
rate), so the CPU figure is the kiosk's alone: process CPU time over wall time while the
call runs (100 % = one core; the Pi 4's budget for everything is one core). Set-up time is
the clinic's: from publishing the signed offer to its peer connected, and to the first
decoded kiosk frame. Needs Debian ``mosquitto`` and the ``visit`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.outbox import MOSQUITTO, _port, start_broker

CLINIC, DEVICE = "bench-clinic", "bench-dev"


# --- the clinic (child process) -----------------------------------------------------------
async def clinic_role(args: argparse.Namespace) -> dict[str, Any]:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
    from aiortc.mediastreams import AudioStreamTrack, MediaStreamError
    from av import VideoFrame

    from clinic.visit import ClinicVisitRelay
    from mqtt.config import parse_broker_url
    from sensors.camera.synthetic import SyntheticFrames
    from therapy.signing import private_key_from_b64

    relay = ClinicVisitRelay(parse_broker_url(args.broker), CLINIC,
                             private_key_from_b64(Path(args.key_file).read_text()))
    relay.start()
    while not relay.connected.wait(0.05):
        await asyncio.sleep(0)
    source = SyntheticFrames(args.width, args.height, args.fps, paced=False, noise=args.noise)
    fps = args.fps

    class Camera(VideoStreamTrack):  # type: ignore[misc]
        async def recv(self) -> Any:
            if not hasattr(self, "_t0"):
                self._t0, self._n = time.monotonic(), 0
            else:
                self._n += 1
                wait = self._t0 + self._n / fps - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            got = source.read()
            frame = VideoFrame.from_ndarray(got[1], format="bgr24")  # type: ignore[index]
            frame.pts, frame.time_base = self._n * 6000, VIDEO_TIME_BASE
            return frame

    from aiortc.mediastreams import VIDEO_TIME_BASE

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames: list[float] = []
    sizes: set[tuple[int, int]] = set()

    async def read(track: Any) -> None:
        while True:
            try:
                f = await track.recv()
            except MediaStreamError:
                return
            frames.append(time.monotonic())
            sizes.add((f.width, f.height))

    tasks: list[asyncio.Task[None]] = []

    @pc.on("track")  # type: ignore[misc]
    def on_track(track: Any) -> None:
        if track.kind == "video":
            tasks.append(asyncio.ensure_future(read(track)))

    pc.addTrack(Camera())
    pc.addTrack(AudioStreamTrack())
    await pc.setLocalDescription(await pc.createOffer())
    t0 = time.monotonic()
    call = relay.offer(DEVICE, args.appointment, pc.localDescription.sdp)
    answer = await asyncio.to_thread(relay.wait_answer, call.call)
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
    while pc.connectionState != "connected":
        await asyncio.sleep(0.005)
    t_connected = time.monotonic()
    while not frames:
        await asyncio.sleep(0.005)
    t_first = frames[0]
    await asyncio.sleep(args.seconds)
    window = [t for t in frames if t_first + 2 <= t <= t_first + 2 + args.seconds - 2]
    relay.hang_up(DEVICE, call.call, "bench done")
    await asyncio.sleep(0.3)
    for t in tasks:
        t.cancel()
    await pc.close()
    relay.stop()
    return {"setup_connected_s": t_connected - t0, "setup_first_frame_s": t_first - t0,
            "clinic_fps": len(window) / max(1e-9, args.seconds - 2),
            "clinic_frames": len(frames), "clinic_sizes": sorted(sizes)}


# --- the kiosk (this process) -------------------------------------------------------------
async def kiosk_role(args: argparse.Namespace, tmp: Path, url: str) -> dict[str, Any]:
    from kiosk.adapters.call import AiortcCall, CallSettings
    from kiosk.vm.visit import Phase, VisitVM
    from mqtt.config import load_config
    from mqtt.device import DeviceLink
    from mqtt.visit_device import DeviceVisitSignals
    from sensors.camera.hub import FrameHub
    from sensors.camera.synthetic import SyntheticFrames
    from therapy.records import Appointment, new_id
    from therapy.signing import new_private_key, private_key_to_b64, public_key_to_b64
    from therapy.store import TherapyStore

    key = new_private_key()
    key_file = tmp / "clinic.key"
    key_file.write_text(private_key_to_b64(key))
    dev = tmp / "dev"
    dev.mkdir()
    (dev / "rehab.toml").write_text(
        f'broker = "{url}"\ndevice = "{DEVICE}"\nclinic = "{CLINIC}"\n'
        f'clinic_public_key = "{public_key_to_b64(key.public_key())}"\n')
    store = TherapyStore(dev / "rehab.db")
    appt = new_id()
    store.save_appointment(Appointment(appt, datetime.now(timezone.utc) - timedelta(minutes=1),
                                       60))
    link = DeviceLink(load_config(dev), store)
    hub = FrameHub(SyntheticFrames(args.width, args.height, args.fps, noise=args.noise)).start()
    settings = CallSettings(width=args.width, height=args.height, fps=args.fps)
    calls: list[AiortcCall] = []

    def make(on_state: Any) -> AiortcCall:
        calls.append(AiortcCall(hub.subscribe("call"), settings, on_state=on_state))
        return calls[-1]

    box: list[DeviceVisitSignals] = []
    vm = VisitVM(make, lambda m: box[0].send(m), type("Q", (), {"say": lambda s, t: None})())
    signals = DeviceVisitSignals(link, store=store, public_key=link.downlink.public_key,
                                 clinic=CLINIC, device=DEVICE, listener=vm,
                                 loop=asyncio.get_running_loop())
    box.append(signals)
    signals.attach()
    link.start()
    while not link.connected.is_set():
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.visit", "--role", "clinic", "--broker", url,
        "--key-file", str(key_file), "--appointment", appt, "--seconds", str(args.seconds),
        "--width", str(args.width), "--height", str(args.height), "--fps", str(args.fps),
        "--noise", str(args.noise),
        stdout=subprocess.PIPE)
    while vm.phase != Phase.RINGING:
        await asyncio.sleep(0.002)
    await vm.accept()  # the patient says yes at once
    while vm.phase != Phase.IN_CALL:
        await asyncio.sleep(0.005)
    call = calls[0]
    while call.remote_frames_ == 0:
        await asyncio.sleep(0.005)
    await asyncio.sleep(2)  # warm-up: codecs settle
    cpu0, wall0 = time.process_time(), time.monotonic()
    n0, s0 = call.remote_frames_, call.sent_frames_
    await asyncio.sleep(args.seconds - 2)
    cpu1, wall1 = time.process_time(), time.monotonic()
    n1, s1 = call.remote_frames_, call.sent_frames_
    out, _ = await child.communicate()
    while vm.phase != Phase.ENDED:
        await asyncio.sleep(0.01)
    signals.detach()
    link.stop()
    hub.stop()
    clinic = json.loads(out.decode().strip().splitlines()[-1])
    wall = wall1 - wall0
    return {**clinic, "kiosk_cpu_pct": 100 * (cpu1 - cpu0) / wall,
            "kiosk_recv_fps": (n1 - n0) / wall, "kiosk_sent_fps": (s1 - s0) / wall,
            "kiosk_remote_size": call.remote_size_, "window_s": wall,
            "cores": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=480)
    ap.add_argument("--fps", type=float, default=15.0)
    ap.add_argument("--noise", type=int, default=12,
                    help="grey levels of camera-like noise in the synthetic frames (0: none)")
    ap.add_argument("--role", choices=("kiosk", "clinic"), default="kiosk")
    ap.add_argument("--broker", default="")
    ap.add_argument("--key-file", default="")
    ap.add_argument("--appointment", default="")
    args = ap.parse_args(argv)
    if args.seconds < 4:
        print("--seconds must be at least 4 (2 s of warm-up are left out)", file=sys.stderr)
        return 2
    if args.role == "clinic":
        print(json.dumps(asyncio.run(clinic_role(args))))
        return 0
    if not Path(MOSQUITTO).exists():
        print("mosquitto not installed: apt-get install -y mosquitto", file=sys.stderr)
        return 2
    try:
        import aiortc  # noqa: F401
    except ImportError:
        print("aiortc not installed: pip install 'rehab-kiosk[visit]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        port = _port()
        broker = start_broker(Path(tmp), port)
        time.sleep(0.1)
        try:
            r = asyncio.run(kiosk_role(args, Path(tmp), f"mqtt://127.0.0.1:{port}"))
        finally:
            broker.terminate()
            broker.wait()
    print(f"call set-up on loopback: {r['setup_connected_s'] * 1000:.0f} ms to connected, "
          f"{r['setup_first_frame_s'] * 1000:.0f} ms to the first kiosk frame at the clinic")
    print(f"{args.width}x{args.height} at {args.fps:g} fps, {r['window_s']:.0f} s measured: "
          f"kiosk sends {r['kiosk_sent_fps']:.1f} fps, the clinic decodes "
          f"{r['clinic_fps']:.1f} fps {r['clinic_sizes']}; the kiosk decodes "
          f"{r['kiosk_recv_fps']:.1f} fps {r['kiosk_remote_size']}")
    print(f"kiosk process CPU: {r['kiosk_cpu_pct']:.0f} % of one core "
          f"(send + receive + signalling; {r['cores']} cores here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
