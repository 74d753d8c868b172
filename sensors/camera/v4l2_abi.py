"""The part of the Linux V4L2 user-space ABI the kiosk's camera uses, as ctypes structures.

Source: the kernel UAPI header ``linux/videodev2.h`` (Debian's linux-libc-dev, 6.x) and the
ioctl encoding of ``asm-generic/ioctl.h`` (x86-64, arm64 and 32-bit arm; not PowerPC/MIPS,
whose direction bits differ). ``tests/camera/test_camera_v4l2_abi.py`` compiles a C program
against the installed header and compares every size, ioctl number and code here with it.
Layouts follow the header field for field; ``long``/pointer members use ctypes' native
sizes, so the sizes (and with them the ioctl numbers) are the platform's: ``v4l2_buffer``
is 88 bytes on a 64-bit system, 68 on a 32-bit one. Pure: ctypes only, no I/O.
"""

from __future__ import annotations

import ctypes
from enum import IntEnum, IntFlag

# asm-generic/ioctl.h: nr bits 0-7, type 8-15, size 16-29, direction 30-31
_IOC_NRSHIFT, _IOC_TYPESHIFT, _IOC_SIZESHIFT, _IOC_DIRSHIFT = 0, 8, 16, 30
_IOC_NONE, _IOC_WRITE, _IOC_READ = 0, 1, 2


def _ioc(direction: int, nr: int, size: int) -> int:
    return ((direction << _IOC_DIRSHIFT) | (ord("V") << _IOC_TYPESHIFT)
            | (nr << _IOC_NRSHIFT) | (size << _IOC_SIZESHIFT))


def fourcc(code: str) -> int:
    """``v4l2_fourcc(a, b, c, d)``: four ASCII characters, the first in the low byte."""
    a, b, c, d = code.encode("ascii")
    return a | (b << 8) | (c << 16) | (d << 24)


def fourcc_name(value: int) -> str:
    """A pixel format code as its four characters (``MJPG``), for messages."""
    return "".join(chr((value >> s) & 0xFF) for s in (0, 8, 16, 24)).strip() or hex(value)


class PixelFormat(IntEnum):
    MJPEG = fourcc("MJPG")  # V4L2_PIX_FMT_MJPEG: one JPEG image a frame, often without DHT
    JPEG = fourcc("JPEG")  # V4L2_PIX_FMT_JPEG: the same, as some webcams name it
    YUYV = fourcc("YUYV")  # V4L2_PIX_FMT_YUYV: packed 4:2:2, Y0 U Y1 V


class BufType(IntEnum):
    VIDEO_CAPTURE = 1  # V4L2_BUF_TYPE_VIDEO_CAPTURE


class Memory(IntEnum):
    MMAP = 1  # V4L2_MEMORY_MMAP


class Field(IntEnum):
    ANY = 0  # V4L2_FIELD_ANY
    NONE = 1  # V4L2_FIELD_NONE (progressive)


class Cap(IntFlag):
    VIDEO_CAPTURE = 0x00000001  # V4L2_CAP_VIDEO_CAPTURE
    STREAMING = 0x04000000  # V4L2_CAP_STREAMING
    DEVICE_CAPS = 0x80000000  # V4L2_CAP_DEVICE_CAPS: device_caps is filled in


class BufFlag(IntFlag):
    QUEUED = 0x00000002  # V4L2_BUF_FLAG_QUEUED
    DONE = 0x00000004  # V4L2_BUF_FLAG_DONE
    ERROR = 0x00000040  # V4L2_BUF_FLAG_ERROR: the data may be corrupt
    TIMESTAMP_MASK = 0x0000E000  # V4L2_BUF_FLAG_TIMESTAMP_MASK
    TIMESTAMP_MONOTONIC = 0x00002000  # V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC: CLOCK_MONOTONIC


CAP_TIMEPERFRAME = 0x1000  # V4L2_CAP_TIMEPERFRAME (v4l2_captureparm.capability)


class Timeval(ctypes.Structure):  # struct timeval (sys/time.h): two longs
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class Capability(ctypes.Structure):  # struct v4l2_capability
    _fields_ = [("driver", ctypes.c_char * 16), ("card", ctypes.c_char * 32),
                ("bus_info", ctypes.c_char * 32), ("version", ctypes.c_uint32),
                ("capabilities", ctypes.c_uint32), ("device_caps", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32 * 3)]


class FmtDesc(ctypes.Structure):  # struct v4l2_fmtdesc
    _fields_ = [("index", ctypes.c_uint32), ("type", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("description", ctypes.c_char * 32),
                ("pixelformat", ctypes.c_uint32), ("mbus_code", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32 * 3)]


class PixFormat(ctypes.Structure):  # struct v4l2_pix_format
    _fields_ = [("width", ctypes.c_uint32), ("height", ctypes.c_uint32),
                ("pixelformat", ctypes.c_uint32), ("field", ctypes.c_uint32),
                ("bytesperline", ctypes.c_uint32), ("sizeimage", ctypes.c_uint32),
                ("colorspace", ctypes.c_uint32), ("priv", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("ycbcr_enc", ctypes.c_uint32),
                ("quantization", ctypes.c_uint32), ("xfer_func", ctypes.c_uint32)]


class _FormatUnion(ctypes.Union):
    # raw_data[200] sizes the union; the pointer stands for struct v4l2_window's pointers,
    # which give the union (and so struct v4l2_format) a pointer's alignment
    _fields_ = [("pix", PixFormat), ("raw_data", ctypes.c_uint8 * 200),
                ("_align", ctypes.c_void_p)]


class Format(ctypes.Structure):  # struct v4l2_format
    _fields_ = [("type", ctypes.c_uint32), ("fmt", _FormatUnion)]


class RequestBuffers(ctypes.Structure):  # struct v4l2_requestbuffers
    _fields_ = [("count", ctypes.c_uint32), ("type", ctypes.c_uint32),
                ("memory", ctypes.c_uint32), ("capabilities", ctypes.c_uint32),
                ("flags", ctypes.c_uint8), ("reserved", ctypes.c_uint8 * 3)]


class Timecode(ctypes.Structure):  # struct v4l2_timecode
    _fields_ = [("type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("frames", ctypes.c_uint8), ("seconds", ctypes.c_uint8),
                ("minutes", ctypes.c_uint8), ("hours", ctypes.c_uint8),
                ("userbits", ctypes.c_uint8 * 4)]


class _BufferM(ctypes.Union):
    _fields_ = [("offset", ctypes.c_uint32), ("userptr", ctypes.c_ulong),
                ("planes", ctypes.c_void_p), ("fd", ctypes.c_int32)]


class Buffer(ctypes.Structure):  # struct v4l2_buffer
    _fields_ = [("index", ctypes.c_uint32), ("type", ctypes.c_uint32),
                ("bytesused", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("field", ctypes.c_uint32), ("timestamp", Timeval),
                ("timecode", Timecode), ("sequence", ctypes.c_uint32),
                ("memory", ctypes.c_uint32), ("m", _BufferM), ("length", ctypes.c_uint32),
                ("reserved2", ctypes.c_uint32), ("request_fd", ctypes.c_int32)]


class Fract(ctypes.Structure):  # struct v4l2_fract
    _fields_ = [("numerator", ctypes.c_uint32), ("denominator", ctypes.c_uint32)]


class CaptureParm(ctypes.Structure):  # struct v4l2_captureparm
    _fields_ = [("capability", ctypes.c_uint32), ("capturemode", ctypes.c_uint32),
                ("timeperframe", Fract), ("extendedmode", ctypes.c_uint32),
                ("readbuffers", ctypes.c_uint32), ("reserved", ctypes.c_uint32 * 4)]


class _ParmUnion(ctypes.Union):
    _fields_ = [("capture", CaptureParm), ("raw_data", ctypes.c_uint8 * 200)]


class StreamParm(ctypes.Structure):  # struct v4l2_streamparm
    _fields_ = [("type", ctypes.c_uint32), ("parm", _ParmUnion)]


_RW = _IOC_READ | _IOC_WRITE


class Ioctl(IntEnum):
    """The VIDIOC_* requests used (videodev2.h: ``_IOR``/``_IOW``/``_IOWR('V', nr, type)``)."""

    QUERYCAP = _ioc(_IOC_READ, 0, ctypes.sizeof(Capability))
    ENUM_FMT = _ioc(_RW, 2, ctypes.sizeof(FmtDesc))
    G_FMT = _ioc(_RW, 4, ctypes.sizeof(Format))
    S_FMT = _ioc(_RW, 5, ctypes.sizeof(Format))
    REQBUFS = _ioc(_RW, 8, ctypes.sizeof(RequestBuffers))
    QUERYBUF = _ioc(_RW, 9, ctypes.sizeof(Buffer))
    QBUF = _ioc(_RW, 15, ctypes.sizeof(Buffer))
    DQBUF = _ioc(_RW, 17, ctypes.sizeof(Buffer))
    STREAMON = _ioc(_IOC_WRITE, 18, ctypes.sizeof(ctypes.c_int))
    STREAMOFF = _ioc(_IOC_WRITE, 19, ctypes.sizeof(ctypes.c_int))
    G_PARM = _ioc(_RW, 21, ctypes.sizeof(StreamParm))
    S_PARM = _ioc(_RW, 22, ctypes.sizeof(StreamParm))


# what the ABI test compares with the C compiler's view of videodev2.h: C name -> value
STRUCTS: dict[str, type[ctypes.Structure]] = {
    "struct timeval": Timeval, "struct v4l2_capability": Capability,
    "struct v4l2_fmtdesc": FmtDesc, "struct v4l2_pix_format": PixFormat,
    "struct v4l2_format": Format, "struct v4l2_requestbuffers": RequestBuffers,
    "struct v4l2_timecode": Timecode, "struct v4l2_buffer": Buffer,
    "struct v4l2_fract": Fract, "struct v4l2_captureparm": CaptureParm,
    "struct v4l2_streamparm": StreamParm,
}
CONSTANTS: dict[str, int] = {
    **{f"VIDIOC_{r.name}": int(r) for r in Ioctl},
    "V4L2_PIX_FMT_MJPEG": PixelFormat.MJPEG, "V4L2_PIX_FMT_JPEG": PixelFormat.JPEG,
    "V4L2_PIX_FMT_YUYV": PixelFormat.YUYV,
    "V4L2_BUF_TYPE_VIDEO_CAPTURE": BufType.VIDEO_CAPTURE, "V4L2_MEMORY_MMAP": Memory.MMAP,
    "V4L2_FIELD_ANY": Field.ANY, "V4L2_FIELD_NONE": Field.NONE,
    "V4L2_CAP_VIDEO_CAPTURE": Cap.VIDEO_CAPTURE, "V4L2_CAP_STREAMING": Cap.STREAMING,
    "V4L2_CAP_DEVICE_CAPS": Cap.DEVICE_CAPS, "V4L2_CAP_TIMEPERFRAME": CAP_TIMEPERFRAME,
    "V4L2_BUF_FLAG_QUEUED": BufFlag.QUEUED, "V4L2_BUF_FLAG_DONE": BufFlag.DONE,
    "V4L2_BUF_FLAG_ERROR": BufFlag.ERROR,
    "V4L2_BUF_FLAG_TIMESTAMP_MASK": BufFlag.TIMESTAMP_MASK,
    "V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC": BufFlag.TIMESTAMP_MONOTONIC,
}
# offsets the capture reads or writes, compared with offsetof() as well
OFFSETS: dict[tuple[str, str], int] = {
    ("struct v4l2_format", "fmt"): Format.fmt.offset,
    ("struct v4l2_buffer", "timestamp"): Buffer.timestamp.offset,
    ("struct v4l2_buffer", "sequence"): Buffer.sequence.offset,
    ("struct v4l2_buffer", "m"): Buffer.m.offset,
    ("struct v4l2_buffer", "length"): Buffer.length.offset,
    ("struct v4l2_streamparm", "parm"): StreamParm.parm.offset,
}
