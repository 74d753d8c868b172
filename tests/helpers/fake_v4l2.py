"""A V4L2 camera in memory, behind the same OS calls as the real one (``V4l2Os``).

It answers the ioctls the capture makes on the same ctypes structures
(:mod:`sensors.camera.v4l2_abi`) the way a UVC driver (videobuf2) does: ENUM_FMT ends in
EINVAL, S_FMT answers with a format it has, DQBUF says EAGAIN when nothing is filled and
ENODEV once unplugged, QBUF refuses a buffer already queued, REQBUFS(0) refuses while a
buffer is still mapped (EBUSY). Buffers are real anonymous ``mmap`` s; a filled one holds
an MJPG frame (Pillow-encoded, its DHT segment removed as many webcams send it) or a YUYV
frame (numpy, BT.601 limited range), stamped on the fake's CLOCK_MONOTONIC. No cv2 here:
the kiosk's no-OpenCV test runs on this device. ``cached_frames=n`` encodes n pictures once
and sends them in turn (a bench then measures the capture, not the fake's encoder).
"""

from __future__ import annotations

import ctypes
import errno
import io
import mmap
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from sensors.camera import v4l2_abi as abi

PAGE = mmap.PAGESIZE
RED0, RED_STEP, RED_STEPS = 30, 12, 16  # numbered_picture's red level says seq mod 16
FMT = abi.PixelFormat


def _err(code: int) -> OSError:
    return OSError(code, f"fake V4L2: {errno.errorcode[code]}")  # EAGAIN -> BlockingIOError


def strip_dht(jpeg: bytes) -> bytes:
    """The JPEG without its DHT (Huffman table) segments, as a UVC webcam sends MJPG."""
    out, i = bytearray(jpeg[:2]), 2
    while i < len(jpeg):
        marker = jpeg[i + 1]
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            return bytes(out + jpeg[i:])
        length = int.from_bytes(jpeg[i + 2:i + 4], "big")
        if marker != 0xC4:
            out += jpeg[i:i + 2 + length]
        i += 2 + length
    raise ValueError("no start of scan")


def mjpeg_frame(bgr: np.ndarray, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buf, "JPEG", quality=quality)
    return strip_dht(buf.getvalue())


def yuyv_frame(bgr: np.ndarray) -> bytes:
    """BGR to packed YUYV (BT.601 limited range; each pair's chroma averaged)."""
    b, g, r = (bgr[:, :, i].astype(np.float64) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    h, w = y.shape
    out = np.empty((h, w // 2, 4), np.float64)
    out[:, :, 0], out[:, :, 2] = y[:, 0::2], y[:, 1::2]
    out[:, :, 1] = (u[:, 0::2] + u[:, 1::2]) / 2
    out[:, :, 3] = (v[:, 0::2] + v[:, 1::2]) / 2
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).tobytes()


def numbered_picture(seq: int, width: int = 640, height: int = 480) -> np.ndarray:
    """A BGR picture that says its frame number (:func:`picture_number`): smooth
    gradients in blue and green, red ``RED0 + RED_STEP * seq`` (mod RED_STEPS), a block."""
    img = np.empty((height, width, 3), np.uint8)
    img[:, :, 0] = (np.arange(width) * 255 // max(width - 1, 1))[None, :]
    img[:, :, 1] = (np.arange(height) * 255 // max(height - 1, 1))[:, None]
    img[:, :, 2] = RED0 + RED_STEP * (seq % RED_STEPS)
    x = (seq * 16) % (width - 32)
    img[height // 4:height // 2, x:x + 32] = (20, 220, 240)
    return img


def picture_number(bgr: np.ndarray) -> int:
    """The frame number (mod RED_STEPS) a decoded :func:`numbered_picture` shows."""
    return round((float(np.median(bgr[:, :, 2])) - RED0) / RED_STEP) % RED_STEPS


class FakeV4l2:
    """One fake camera at ``path`` offering ``formats``; ``pictures(seq)`` gives frame
    ``seq`` as BGR. ``paced``: frames arrive at the real rate (else as fast as asked)."""

    def __init__(self, path: str = "/dev/video0", formats: Sequence[int] = (FMT.MJPEG, FMT.YUYV),
                 size: tuple[int, int] = (640, 480), fps: float = 30.0,
                 pictures: Callable[[int], np.ndarray] | None = None, *,
                 monotonic_stamps: bool = True, paced: bool = False, caps: int | None = None,
                 max_buffers: int = 8, cached_frames: int = 0) -> None:
        self.path, self.formats, self.size, self.rate_fps = path, list(formats), size, fps
        self.pictures = pictures or (lambda seq: numbered_picture(seq, *size))
        self.monotonic_stamps, self.paced = monotonic_stamps, paced
        self.caps = (abi.Cap.VIDEO_CAPTURE | abi.Cap.STREAMING) if caps is None else caps
        self.max_buffers = max_buffers
        self.cached_frames = cached_frames
        self._cache: dict[tuple[int, int], bytes] = {}  # (format, seq mod n) -> bytes
        self.now_s = 1000.0  # the fake's CLOCK_MONOTONIC
        self.latency_s = 0.004  # a frame is this old when its buffer can be dequeued
        self.pixel_format = self.formats[0] if self.formats else 0
        self.maps: list[mmap.mmap] = []
        self.queued: deque[int] = deque()
        self.done: deque[tuple[int, int, float, int]] = deque()  # index, bytes, stamp, seq
        self.sequence = 0
        self.streaming = self.unplugged = self.stalled = False
        self.fds: set[int] = set()
        self.calls: list[str] = []  # ioctl names in order
        self.corrupt_next = 0  # the next n frames are garbage
        self.open_errno = 0  # open() refuses with this errno (EACCES: not in the video group)
        self.busy = False  # S_FMT says EBUSY: another program streams from the camera
        self._next_fd = 3
        self._next_real = time.monotonic()

    # -- the V4l2Os calls ------------------------------------------------------------------
    def open(self, path: str) -> int:
        if path != self.path:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        if self.open_errno:
            raise OSError(self.open_errno, os.strerror(self.open_errno), path)
        fd, self._next_fd = self._next_fd, self._next_fd + 1
        self.fds.add(fd)
        return fd

    def close(self, fd: int) -> None:
        self.fds.remove(fd)

    def monotonic(self) -> float:
        return self.now_s

    def mmap(self, fd: int, length: int, offset: int) -> mmap.mmap:
        if offset % PAGE or offset // PAGE >= len(self.maps) or self.maps[offset // PAGE]:
            raise _err(errno.EINVAL)
        m = mmap.mmap(-1, length)
        self.maps[offset // PAGE] = m
        return m

    def wait_readable(self, fd: int, timeout_s: float) -> bool:
        if self.unplugged or self.done:
            return True
        if not self.streaming or not self.queued or self.stalled:
            time.sleep(min(timeout_s, 0.01))
            return False
        self.deliver(1)
        return True

    def ioctl(self, fd: int, request: int, arg: ctypes.Structure | ctypes.c_int) -> None:
        name = abi.Ioctl(request).name
        self.calls.append(name)
        if fd not in self.fds:
            raise _err(errno.EBADF)
        if self.unplugged:
            raise _err(errno.ENODEV)
        getattr(self, f"_{name.lower()}")(arg)

    # -- the driver ------------------------------------------------------------------------
    def deliver(self, n: int) -> None:
        """The camera fills the next ``n`` queued buffers (fewer if fewer are queued)."""
        for _ in range(min(n, len(self.queued))):
            if self.paced:
                self._next_real += 1.0 / self.rate_fps
                time.sleep(max(0.0, self._next_real - time.monotonic()))
            index = self.queued.popleft()
            self.now_s += 1.0 / self.rate_fps  # the frame's exposure
            data = self._frame_bytes(self.sequence)
            self.maps[index][:len(data)] = data
            self.done.append((index, len(data), self.now_s, self.sequence))
            self.sequence += 1
        self.now_s += self.latency_s  # USB transfer: the newest frame is this old

    def unplug(self) -> None:
        self.unplugged = True

    def _frame_bytes(self, seq: int) -> bytes:
        if self.corrupt_next:
            self.corrupt_next -= 1
            return b"\xff\xd8\xff\xe0 not a picture"
        if self.cached_frames:
            key = (self.pixel_format, seq % self.cached_frames)
            if key not in self._cache:
                self._cache[key] = self._encode(key[1])
            return self._cache[key]
        return self._encode(seq)

    def _encode(self, seq: int) -> bytes:
        bgr = self.pictures(seq)
        return yuyv_frame(bgr) if self.pixel_format == FMT.YUYV else mjpeg_frame(bgr)

    def _buffer_bytes(self) -> int:
        w, h = self.size
        return -(-(w * h * 2) // PAGE) * PAGE

    def _querycap(self, cap: abi.Capability) -> None:
        cap.driver, cap.card, cap.bus_info = b"fakevideo", b"Fake Webcam", b"usb-fake-1"
        cap.device_caps = self.caps
        cap.capabilities = self.caps | abi.Cap.DEVICE_CAPS

    def _enum_fmt(self, desc: abi.FmtDesc) -> None:
        if desc.type != abi.BufType.VIDEO_CAPTURE or desc.index >= len(self.formats):
            raise _err(errno.EINVAL)
        desc.pixelformat = self.formats[desc.index]
        desc.description = abi.fourcc_name(desc.pixelformat).encode()

    def _s_fmt(self, fmt: abi.Format) -> None:
        if self.maps or self.busy:
            raise _err(errno.EBUSY)  # buffers allocated: the format is fixed
        pix = fmt.fmt.pix
        self.pixel_format = pix.pixelformat if pix.pixelformat in self.formats else \
            self.formats[0]
        w, h = self.size
        pix.pixelformat, pix.width, pix.height, pix.field = self.pixel_format, w, h, abi.Field.NONE
        pix.bytesperline = w * 2 if self.pixel_format == FMT.YUYV else 0
        pix.sizeimage = self._buffer_bytes()

    def _g_parm(self, parm: abi.StreamParm) -> None:
        parm.parm.capture.capability = abi.CAP_TIMEPERFRAME
        parm.parm.capture.timeperframe.numerator = 1
        parm.parm.capture.timeperframe.denominator = round(self.rate_fps)

    def _s_parm(self, parm: abi.StreamParm) -> None:
        self._g_parm(parm)  # runs at its one rate, and says so

    def _reqbufs(self, req: abi.RequestBuffers) -> None:
        if req.memory != abi.Memory.MMAP or req.type != abi.BufType.VIDEO_CAPTURE:
            raise _err(errno.EINVAL)
        if any(m is not None and not m.closed for m in self.maps):
            raise _err(errno.EBUSY)  # vb2: "memory in use"
        req.count = min(req.count, self.max_buffers)
        self.maps = [None] * req.count  # type: ignore[list-item]
        self.queued.clear()
        self.done.clear()

    def _check_index(self, buf: abi.Buffer) -> None:
        if buf.type != abi.BufType.VIDEO_CAPTURE or buf.memory != abi.Memory.MMAP or \
                buf.index >= len(self.maps):
            raise _err(errno.EINVAL)

    def _querybuf(self, buf: abi.Buffer) -> None:
        self._check_index(buf)
        buf.length, buf.m.offset = self._buffer_bytes(), buf.index * PAGE

    def _qbuf(self, buf: abi.Buffer) -> None:
        self._check_index(buf)
        if buf.index in self.queued or any(d[0] == buf.index for d in self.done):
            raise _err(errno.EINVAL)  # already queued
        self.queued.append(buf.index)

    def _dqbuf(self, buf: abi.Buffer) -> None:
        if not self.done:
            raise _err(errno.EAGAIN)
        index, used, stamp, seq = self.done.popleft()
        buf.index, buf.bytesused, buf.sequence = index, used, seq
        buf.field, buf.length = abi.Field.NONE, self._buffer_bytes()
        buf.flags = abi.BufFlag.DONE | (abi.BufFlag.TIMESTAMP_MONOTONIC
                                        if self.monotonic_stamps else 0)
        buf.timestamp.tv_sec = int(stamp)
        buf.timestamp.tv_usec = round((stamp - int(stamp)) * 1e6)

    def _streamon(self, kind: ctypes.c_int) -> None:
        if kind.value != abi.BufType.VIDEO_CAPTURE or not self.maps:
            raise _err(errno.EINVAL)
        self.streaming = True

    def _streamoff(self, kind: ctypes.c_int) -> None:
        self.streaming = False
        self.queued.clear()
        self.done.clear()


class FakeV4l2Bus:
    """Several fake devices behind one ``V4l2Os`` (a ``/dev`` with more than one video
    node): each call goes to the device the fd was opened on; ``monotonic`` is the clock
    of the device last called (one device is read at a time)."""

    def __init__(self, *devices: FakeV4l2) -> None:
        self.devices = {d.path: d for d in devices}
        self._fds: dict[int, tuple[FakeV4l2, int]] = {}
        self._last = devices[0] if devices else FakeV4l2()
        self._next_fd = 100

    def _dev(self, fd: int) -> tuple[FakeV4l2, int]:
        if fd not in self._fds:
            raise _err(errno.EBADF)
        self._last = self._fds[fd][0]
        return self._fds[fd]

    def open(self, path: str) -> int:
        if path not in self.devices:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        dev = self.devices[path]
        inner = dev.open(path)
        fd, self._next_fd = self._next_fd, self._next_fd + 1
        self._fds[fd] = (dev, inner)
        return fd

    def close(self, fd: int) -> None:
        dev, inner = self._dev(fd)
        dev.close(inner)
        del self._fds[fd]

    def ioctl(self, fd: int, request: int, arg: ctypes.Structure | ctypes.c_int) -> None:
        dev, inner = self._dev(fd)
        dev.ioctl(inner, request, arg)

    def mmap(self, fd: int, length: int, offset: int) -> mmap.mmap:
        dev, inner = self._dev(fd)
        return dev.mmap(inner, length, offset)

    def wait_readable(self, fd: int, timeout_s: float) -> bool:
        dev, inner = self._dev(fd)
        return dev.wait_readable(inner, timeout_s)

    def monotonic(self) -> float:
        return self._last.monotonic()


METADATA_ONLY = abi.Cap.STREAMING  # a UVC camera's second node: no VIDEO_CAPTURE


class PiIspNode(FakeV4l2):
    """A Pi's bcm2835-isp output: a video capture node on the SoC's platform bus."""

    def _querycap(self, cap: abi.Capability) -> None:
        super()._querycap(cap)
        cap.driver, cap.card, cap.bus_info = b"bcm2835-isp", b"bcm2835-isp-capture0", \
            b"platform:bcm2835-isp"


def devices(tmp_path: Path, *fakes: tuple[str, dict[str, object]]) -> tuple[Path, FakeV4l2Bus]:
    """A /dev folder holding the nodes named, each a fake camera made with its options."""
    dev = tmp_path / "dev"
    dev.mkdir(exist_ok=True)
    made = []
    for name, options in fakes:
        (dev / name).touch()
        attrs = {k: options.pop(k) for k in ("open_errno", "busy", "corrupt_next", "stalled")
                 if k in options}
        kind = options.pop("kind", FakeV4l2)
        fake = kind(str(dev / name), **options)  # type: ignore[operator]
        for k, v in attrs.items():
            setattr(fake, k, v)
        made.append(fake)
    return dev, FakeV4l2Bus(*made)
