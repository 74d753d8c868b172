"""A live camera read straight from Linux V4L2 (``/dev/videoN``), without OpenCV.

``import cv2`` alone costs the kiosk ~28 MB of its 250 MB (issue 15); the pose graph does
not need the cv2 module, so the live camera is read here with the kernel's own streaming
I/O (ctypes structures of :mod:`sensors.camera.v4l2_abi`, ``fcntl.ioctl``, ``mmap``),
following the V4L2 specification's "Streaming I/O (Memory Mapping)" chapter:
QUERYCAP, ENUM_FMT, S_FMT (640x480 MJPG, else YUYV), S_PARM (30 fps), REQBUFS (4 buffers),
QUERYBUF + mmap + QBUF each, STREAMON; a read waits (poll) for a filled buffer, dequeues
every ready one, keeps the newest and requeues the others (the pose model is slower than
the camera: never a queue of stale frames, what OpenCV's BUFFERSIZE 1 did), copies it out
and requeues it. :meth:`V4l2Capture.read` decodes the copy to BGR at once
(:mod:`sensors.camera.frame_decode`); :meth:`V4l2Capture.read_frame`, which the frame hub
uses, leaves it to whoever takes it (:class:`~sensors.camera.lazy_frame.LazyFrame`: most of
a 30 fps camera's frames are taken by nobody). Either way a frame that does not decode is
skipped and counted; a second of them in a row (``MAX_BAD_FRAMES`` captured frames, found
corrupt by whoever decoded them) ends the stream with a CameraError.

Times: a buffer stamped by the driver with CLOCK_MONOTONIC (UVC does) gives the frame's
capture time on the injected clock (the driver's time, moved to the clock's base by the
frame's age: with the default ``time.monotonic`` it is the driver's stamp); any other
buffer is stamped with the injected clock when dequeued.

A camera that offers neither MJPG (or JPEG, its other name) nor YUYV raises :class:`V4l2Unsupported`
(``capture.open_live_camera`` then falls back to OpenCV). The OS calls go through a
:class:`V4l2Os` (:class:`SystemV4l2` by default; ``tests/helpers/fake_v4l2.py`` in tests).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import mmap
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Protocol

import numpy as np

from sensors.camera import v4l2_abi as abi
from sensors.camera.errors import CameraError, CameraMissing
from sensors.camera.frame_decode import (
    Encoding,
    FrameCorrupt,
    FrameDecoder,
    FrameLayout,
    decode_frame,
)
from sensors.camera.lazy_frame import MAX_BAD_FRAMES, CorruptRun, LazyFrame, resolve  # noqa: F401

_LOG = logging.getLogger(__name__)
# MJPG: 30 fps over USB 2 (a few webcams call it JPEG); YUYV, uncompressed, second
PREFERRED = (abi.PixelFormat.MJPEG, abi.PixelFormat.JPEG, abi.PixelFormat.YUYV)
JPEG_FORMATS = (abi.PixelFormat.MJPEG, abi.PixelFormat.JPEG)
N_BUFFERS = 4  # enough for the driver to fill while one is decoded
WAIT_SLICE_S = 0.1  # a read waits in slices, so close() from another thread is prompt
NO_FRAME_S = 5.0  # no frame for this long: the camera is gone (OpenCV's V4L2 waits 10 s)
MAX_FRAME_AGE_S = 1.0  # a driver stamp older than this is not trusted (clock used instead)
UNPLUGGED = "no frame (camera unplugged?)"


class V4l2Unsupported(CameraError):
    """The device opened but offers no format this capture reads (MJPG, YUYV) or no
    streaming I/O: OpenCV may still read it."""


class V4l2Os(Protocol):
    """The OS calls of a V4L2 capture; each raises OSError (with errno) as the kernel does."""

    def open(self, path: str) -> int: ...

    def close(self, fd: int) -> None: ...

    def ioctl(self, fd: int, request: int, arg: ctypes.Structure | ctypes.c_int) -> None: ...

    def mmap(self, fd: int, length: int, offset: int) -> mmap.mmap: ...

    def wait_readable(self, fd: int, timeout_s: float) -> bool: ...

    def monotonic(self) -> float: ...


class SystemV4l2:
    """The real calls: non-blocking open (DQBUF says EAGAIN when nothing is ready)."""

    def open(self, path: str) -> int:
        return os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    def close(self, fd: int) -> None:
        os.close(fd)

    def ioctl(self, fd: int, request: int, arg: ctypes.Structure | ctypes.c_int) -> None:
        fcntl.ioctl(fd, request, arg, True)  # the kernel writes its answer into ``arg``

    def mmap(self, fd: int, length: int, offset: int) -> mmap.mmap:
        return mmap.mmap(fd, length, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE,
                         offset=offset)

    def wait_readable(self, fd: int, timeout_s: float) -> bool:
        poller = select.poll()  # poll, not select: no FD_SETSIZE limit on the fd number
        poller.register(fd, select.POLLIN)  # POLLERR and POLLHUP come regardless
        return bool(poller.poll(round(timeout_s * 1000)))

    def monotonic(self) -> float:
        return time.monotonic()  # CLOCK_MONOTONIC, the driver's timestamp clock


def device_path(source: int | str) -> str:
    """Camera index N is ``/dev/videoN``; a path is itself."""
    return f"/dev/video{source}" if isinstance(source, int) else str(source)


class V4l2Capture:
    """A FrameSource on a V4L2 camera: ``read() -> (t_s, BGR image)``, ``fps``, ``width``,
    ``height``; never None while open (CameraMissing once the camera is gone).
    ``read_frame() -> (t_s, LazyFrame)``: the same frame, decoded by ``decode`` only when
    taken."""

    is_file = False

    def __init__(self, source: int | str, *, width: int = 640, height: int = 480,
                 fps: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 v4l2_os: V4l2Os | None = None, n_buffers: int = N_BUFFERS,
                 decode: FrameDecoder = decode_frame) -> None:
        self.source = source
        self._decoder = decode
        self._corrupt = CorruptRun()
        self._seq = 0  # frames dequeued (superseded ones too): the corrupt run's count
        self._os: V4l2Os = v4l2_os if v4l2_os is not None else SystemV4l2()
        self._clock = clock
        self._lock = threading.Lock()
        self._maps: list[mmap.mmap] = []
        self._streaming = False
        self.frames_ = 0  # frames returned
        self.skipped_ = 0  # dequeued but superseded by a newer one (requeued unread)
        try:
            self._fd: int | None = self._os.open(device_path(source))
        except FileNotFoundError as exc:
            raise CameraMissing(source) from exc
        except OSError as exc:
            raise CameraMissing(source, (exc.strerror or str(exc)).lower()) from exc
        try:
            self._setup(width, height, fps, n_buffers)
        except BaseException:
            self.close()
            raise
        _LOG.info("camera %r open (V4L2 %s): %dx%d at %.1f fps", source,
                  abi.fourcc_name(self.pixel_format), self.width, self.height, self.fps)

    # -- opening ---------------------------------------------------------------------------
    def _ioctl(self, request: abi.Ioctl, arg: ctypes.Structure | ctypes.c_int) -> None:
        assert self._fd is not None
        self._os.ioctl(self._fd, request, arg)

    def _setup(self, width: int, height: int, fps: float, n_buffers: int) -> None:
        try:
            self._check_caps()
            self.pixel_format = self._choose_format()
            self._set_format(width, height)
            encoding = Encoding.MJPG if self.pixel_format in JPEG_FORMATS else Encoding.YUYV
            self.layout = FrameLayout(encoding, self.width, self.height, self.bytes_per_line)
            self.fps = self._set_rate(fps)
            self._map_buffers(n_buffers)
            self._ioctl(abi.Ioctl.STREAMON, ctypes.c_int(abi.BufType.VIDEO_CAPTURE))
            self._streaming = True
        except OSError as exc:
            if exc.errno == errno.ENODEV:
                raise CameraMissing(self.source, UNPLUGGED) from exc
            detail = "in use by another program" if exc.errno == errno.EBUSY else \
                (exc.strerror or str(exc)).lower()
            raise CameraMissing(self.source, detail) from exc

    def _check_caps(self) -> None:
        cap = abi.Capability()
        try:
            self._ioctl(abi.Ioctl.QUERYCAP, cap)
        except OSError as exc:
            if exc.errno in (errno.ENOTTY, errno.EINVAL):
                raise CameraMissing(self.source, "not a V4L2 device") from exc
            raise
        caps = cap.device_caps if cap.capabilities & abi.Cap.DEVICE_CAPS else cap.capabilities
        if not caps & abi.Cap.VIDEO_CAPTURE:  # e.g. a UVC camera's metadata node
            raise CameraMissing(self.source, "not a video capture device")
        if not caps & abi.Cap.STREAMING:
            raise V4l2Unsupported(f"camera {self.source!r} has no streaming I/O")
        self.card = cap.card.decode(errors="replace")

    def _choose_format(self) -> abi.PixelFormat:
        offered: list[int] = []
        desc = abi.FmtDesc(type=abi.BufType.VIDEO_CAPTURE)
        while True:
            desc.index = len(offered)
            try:
                self._ioctl(abi.Ioctl.ENUM_FMT, desc)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # EINVAL: past the last format
                    raise
                break
            offered.append(desc.pixelformat)
        for wanted in PREFERRED:
            if wanted in offered:
                return wanted
        names = ", ".join(abi.fourcc_name(f) for f in offered) or "none"
        raise V4l2Unsupported(f"camera {self.source!r} offers {names}, not MJPG, JPEG or YUYV")

    def _set_format(self, width: int, height: int) -> None:
        fmt = abi.Format(type=abi.BufType.VIDEO_CAPTURE)
        pix = fmt.fmt.pix
        pix.width, pix.height = width, height
        pix.pixelformat, pix.field = self.pixel_format, abi.Field.ANY
        self._ioctl(abi.Ioctl.S_FMT, fmt)  # the driver answers with the nearest it can do
        if pix.pixelformat != self.pixel_format:
            asked, got = abi.fourcc_name(self.pixel_format), abi.fourcc_name(pix.pixelformat)
            raise V4l2Unsupported(f"camera {self.source!r} turned {asked} into {got}")
        self.width, self.height = int(pix.width), int(pix.height)
        self.bytes_per_line = int(pix.bytesperline)

    def _set_rate(self, fps: float) -> float:
        parm = abi.StreamParm(type=abi.BufType.VIDEO_CAPTURE)
        try:
            self._ioctl(abi.Ioctl.G_PARM, parm)
            if parm.parm.capture.capability & abi.CAP_TIMEPERFRAME:
                parm.parm.capture.timeperframe.numerator = 1000
                parm.parm.capture.timeperframe.denominator = round(fps * 1000)
                self._ioctl(abi.Ioctl.S_PARM, parm)  # answered with the rate it runs at
        except OSError as exc:
            if exc.errno not in (errno.ENOTTY, errno.EINVAL):  # no frame-rate control
                raise
            return fps
        tpf = parm.parm.capture.timeperframe
        return tpf.denominator / tpf.numerator if tpf.numerator and tpf.denominator else fps

    def _map_buffers(self, n_buffers: int) -> None:
        req = abi.RequestBuffers(count=n_buffers, type=abi.BufType.VIDEO_CAPTURE,
                                 memory=abi.Memory.MMAP)
        self._ioctl(abi.Ioctl.REQBUFS, req)
        if req.count < 2:
            raise CameraMissing(self.source, f"the driver gave {req.count} buffers")
        assert self._fd is not None
        for index in range(req.count):
            buf = self._buffer(index)
            self._ioctl(abi.Ioctl.QUERYBUF, buf)
            self._maps.append(self._os.mmap(self._fd, buf.length, buf.m.offset))
            self._ioctl(abi.Ioctl.QBUF, buf)

    @staticmethod
    def _buffer(index: int = 0) -> abi.Buffer:
        return abi.Buffer(index=index, type=abi.BufType.VIDEO_CAPTURE, memory=abi.Memory.MMAP)

    # -- reading ---------------------------------------------------------------------------
    @property
    def bad_(self) -> int:
        """Captured frames in the current run of corrupt ones (0 after a good frame)."""
        return self._corrupt.length

    @property
    def corrupt_(self) -> int:
        """Frames found corrupt so far (by a decode or flagged by the driver)."""
        return self._corrupt.corrupt_

    def read(self) -> tuple[float, np.ndarray] | None:
        """The newest frame, decoded, waiting for one; None once closed."""
        while (got := self.read_frame()) is not None:
            frame = resolve(got)
            if frame is not None:
                return frame
        return None

    def read_frame(self) -> tuple[float, LazyFrame] | None:
        """The newest frame, not yet decoded, waiting for one; None once closed.
        CameraError once a second of frames in a row did not decode."""
        deadline = time.monotonic() + NO_FRAME_S
        while True:
            self._check_corrupt_run()
            with self._lock:
                if self._fd is None:
                    return None
                try:
                    if self._os.wait_readable(self._fd, WAIT_SLICE_S):
                        got = self._take_newest()
                        if got is not None:
                            return got
                except OSError as exc:
                    raise CameraMissing(self.source, UNPLUGGED) from exc
            if time.monotonic() > deadline:
                raise CameraMissing(self.source, UNPLUGGED)

    def _check_corrupt_run(self) -> None:
        if self._corrupt.too_long:
            exc = self._corrupt.last_error_
            raise CameraError(f"camera {self.source!r}: {self._corrupt.length} frames in a "
                              f"row did not decode ({exc})") from exc

    def _dequeue(self) -> abi.Buffer | None:
        buf = self._buffer()
        try:
            self._ioctl(abi.Ioctl.DQBUF, buf)
        except BlockingIOError:  # EAGAIN: no more filled buffers
            return None
        self._seq += 1
        return buf

    def _take_newest(self) -> tuple[float, LazyFrame] | None:
        newest = self._dequeue()
        if newest is None:
            return None
        while (newer := self._dequeue()) is not None:
            self._ioctl(abi.Ioctl.QBUF, newest)  # superseded: back to the driver unread
            self.skipped_ += 1
            newest = newer
        now, now_mono = self._clock(), self._os.monotonic()
        # copied out, then straight back to the driver: it fills it while the copy waits
        data = self._maps[newest.index][:newest.bytesused]
        self._ioctl(abi.Ioctl.QBUF, newest)
        seq = self._seq
        if newest.flags & abi.BufFlag.ERROR or not data:
            self._found(seq, FrameCorrupt("the driver flagged a frame as corrupt"))
            return None
        self.frames_ += 1
        decoder, layout = self._decoder, self.layout
        frame = LazyFrame(seq, lambda: decoder(data, layout), self._found)
        return self._time(newest, now, now_mono), frame

    def _found(self, seq: int, failed: FrameCorrupt | None) -> None:
        """A frame's decode outcome (any thread: whoever took the frame)."""
        self._corrupt.note(seq, failed)
        if failed is not None:
            _LOG.debug("camera %r: frame skipped: %s", self.source, failed)

    def _time(self, buf: abi.Buffer, now: float, now_mono: float) -> float:
        if (buf.flags & abi.BufFlag.TIMESTAMP_MASK) != abi.BufFlag.TIMESTAMP_MONOTONIC:
            return now
        stamp = buf.timestamp.tv_sec + buf.timestamp.tv_usec * 1e-6
        age = now_mono - stamp
        return now - age if 0.0 <= age <= MAX_FRAME_AGE_S else now

    def close(self) -> None:
        """Stop streaming, unmap the buffers, free them and close the device (idempotent)."""
        with self._lock:
            fd, self._fd = self._fd, None
            if fd is None:
                return
            if self._streaming:
                try:
                    self._os.ioctl(fd, abi.Ioctl.STREAMOFF,
                                   ctypes.c_int(abi.BufType.VIDEO_CAPTURE))
                except OSError:  # unplugged: the kernel stopped it already
                    pass
            for m in self._maps:
                m.close()
            if self._maps:
                try:
                    self._os.ioctl(fd, abi.Ioctl.REQBUFS, abi.RequestBuffers(
                        count=0, type=abi.BufType.VIDEO_CAPTURE, memory=abi.Memory.MMAP))
                except OSError:
                    pass
            self._maps.clear()
            self._streaming = False
            self._os.close(fd)
