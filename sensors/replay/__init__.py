"""Recorded IMU files as sample sources: project CSV, UCI Physical Therapy, MetaWear pairs.

``load_recording`` is pure loading (bytes to arrays, checks that name the bad line);
``ReplaySource`` streams a recording through the same SampleSource port live sensors use.
"""

from sensors.replay.errors import ReplayError
from sensors.replay.formats import ReplayFormat
from sensors.replay.recording import Recording, detect_format, load_recording
from sensors.replay.source import ReplaySource
from sensors.replay.writer import write_csv

__all__ = [
    "Recording",
    "ReplayError",
    "ReplayFormat",
    "ReplaySource",
    "detect_format",
    "load_recording",
    "write_csv",
]
