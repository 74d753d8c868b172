"""Kivy configuration applied before the window opens: size, full screen, and on a
Raspberry Pi the shipped single-touch-provider input section (``config/kivy_input.ini``)."""

from __future__ import annotations

import configparser
import logging
import os
from pathlib import Path

INPUT_INI = Path(__file__).parent / "config" / "kivy_input.ini"


def on_raspberry_pi() -> bool:
    try:
        return "Raspberry Pi" in Path("/proc/device-tree/model").read_text(errors="ignore")
    except OSError:
        return False


def pi_input_options() -> dict[str, str]:
    cp = configparser.RawConfigParser()
    cp.read(INPUT_INI)
    return dict(cp.items("input"))


def configure_kivy(size: tuple[int, int] | None, fullscreen: bool, pi: bool) -> None:
    """Import kivy.config (not the window) and set graphics and input options."""
    level = os.environ.get("REHAB_KIVY_LOG", "warning")
    logging.getLogger("kivy").setLevel(level.upper())  # before Kivy's import-time banner
    from kivy.config import Config

    if size is not None:
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "resizable", "1")
    # No multisample anti-aliasing (Kivy's default asks for 2 samples): the screens are flat
    # shapes and text. Measured in bench.kiosk's one-core camera run (software GL): peak RSS
    # 11 MB lower and the frame median ~2x shorter; on the Pi it spares the GPU the same.
    Config.set("graphics", "multisamples", "0")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", level)
    logging.getLogger("kivy").setLevel(level.upper())
    if pi:
        for option in list(Config.options("input")):
            Config.remove_option("input", option)
        for k, v in pi_input_options().items():
            Config.set("input", k, v)
