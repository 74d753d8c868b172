"""Camera set-up screen: live preview with the detected skeleton, and a check that the
patient is fully in frame and side-on (or facing) before a camera exercise starts.

Self-contained Kivy screen over :class:`kiosk.camera_setup_vm.CameraSetupVM`. It never
waits for the camera: it polls ``latest()`` (e.g. ``CameraWorker.latest``, whose threads
capture and run the pose model) on a Kivy clock tick and draws what is there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.camera_setup_vm import CameraSetupVM, SetupView
from sensors.camera.worker import CameraResult

_LOG = logging.getLogger(__name__)
PREVIEW_HZ = 15.0  # preview refresh; the pose model runs at its own pace on its threads
BONE_RGBA = (0.2, 0.8, 1.0, 1.0)
JOINT_RGBA = (1.0, 0.75, 0.1, 1.0)


class CameraSetupScreen(Screen):
    """``latest``: the newest camera result or None; ``clock``: seconds (monotonic);
    ``on_start``: called when the patient presses Start (enabled only when ready)."""

    def __init__(self, vm: CameraSetupVM, latest: Callable[[], CameraResult | None],
                 clock: Callable[[], float], on_start: Callable[[], None],
                 on_back: Callable[[], None] | None = None, **kw: Any) -> None:
        kw.setdefault("name", "camera_setup")
        super().__init__(**kw)
        self.vm = vm
        self._latest = latest
        self._clock = clock
        self._on_start = on_start
        self._event: Any = None
        self._texture: Texture | None = None
        self._shown_t: float | None = None
        self.view_: SetupView | None = None
        box = BoxLayout(orientation="vertical", padding=12, spacing=8)
        self.preview = Image(fit_mode="contain")
        self.message = Label(text="Starting the camera…", font_size="24sp", size_hint_y=None,
                             height=64)
        buttons = BoxLayout(size_hint_y=None, height=88, spacing=12)
        self.back_button = Button(text="Back", font_size="22sp")
        self.back_button.bind(on_release=lambda *_: on_back() if on_back else None)
        self.start_button = Button(text="Start", font_size="22sp", disabled=True)
        self.start_button.bind(on_release=lambda *_: self._start())
        buttons.add_widget(self.back_button)
        buttons.add_widget(self.start_button)
        for w in (self.preview, self.message, buttons):
            box.add_widget(w)
        self.add_widget(box)

    def on_enter(self, *_: Any) -> None:
        self._event = Clock.schedule_interval(lambda dt: self.tick(), 1.0 / PREVIEW_HZ)

    def on_leave(self, *_: Any) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def tick(self) -> SetupView | None:
        """One refresh: show the newest frame and its skeleton, update the check."""
        result = self._latest()
        if result is None:
            return None
        if result.t_s != self._shown_t:
            self._show_image(result)
            self._shown_t = result.t_s
        view = self.vm.update(self._clock(), result.pose)
        self.view_ = view
        self.message.text = view.message
        self.start_button.disabled = not view.ready
        self._draw_bones(view)
        return view

    def _start(self) -> None:
        if self.view_ is not None and self.view_.ready:
            self._on_start()

    def _show_image(self, result: CameraResult) -> None:
        h, w = result.image_bgr.shape[:2]
        if self._texture is None or self._texture.size != (w, h):
            self._texture = Texture.create(size=(w, h), colorfmt="bgr")
            self._texture.flip_vertical()  # image rows run top-down, GL's bottom-up
        self._texture.blit_buffer(result.image_bgr.tobytes(), colorfmt="bgr", bufferfmt="ubyte")
        self.preview.texture = self._texture
        self.preview.canvas.ask_update()

    def _draw_bones(self, view: SetupView) -> None:
        img = self.preview
        self.preview.canvas.after.clear()
        if self._texture is None:
            return
        # The drawn image's rectangle inside the widget (aspect kept).
        nw, nh = img.norm_image_size
        x0 = img.center_x - nw / 2
        y0 = img.center_y - nh / 2
        with self.preview.canvas.after:
            for bone in view.bones:
                Color(*(JOINT_RGBA if bone.highlight else BONE_RGBA))
                Line(points=[x0 + bone.x0 * nw, y0 + (1 - bone.y0) * nh,
                             x0 + bone.x1 * nw, y0 + (1 - bone.y1) * nh],
                     width=3 if bone.highlight else 2)
