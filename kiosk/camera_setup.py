"""Camera set-up screen: live preview with the detected skeleton, and a check that the
light is good enough and the patient fully in frame and side-on (or facing) before a
camera exercise starts.

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
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.screenmanager import Screen

from kiosk.camera_setup_vm import CameraSetupVM, SetupView
from kiosk.i18n import N_, _
from kiosk.ui import theme as T
from kiosk.ui.camera_texture import CameraTexture
from kiosk.ui.widgets import BigButton, Txt, paint_bg
from sensors.camera.worker import CameraResult

_LOG = logging.getLogger(__name__)
PREVIEW_HZ = 15.0  # preview refresh; the pose model runs at its own pace on its threads
BONE_RGBA = (0.2, 0.8, 1.0, 1.0)
JOINT_RGBA = (1.0, 0.75, 0.1, 1.0)


class CameraSetupScreen(Screen):
    """``latest``: the newest camera result or None; ``clock``: seconds (monotonic);
    ``on_start``: called when the patient presses Start (enabled only when ready)."""

    title = N_("Camera set-up")  # what the kiosk's top bar shows (translated there)

    def __init__(self, vm: CameraSetupVM, latest: Callable[[], CameraResult | None],
                 clock: Callable[[], float], on_start: Callable[[], None],
                 on_back: Callable[[], None] | None = None, *, start_text: str = N_("Start"),
                 **kw: Any) -> None:
        kw.setdefault("name", "camera_setup")
        super().__init__(**kw)
        self.vm = vm
        self._latest = latest
        self._clock = clock
        self._on_start = on_start
        self._event: Any = None
        self._picture = CameraTexture()  # the frame at the preview's size (its texture)
        self._shown_t: float | None = None
        self.view_: SetupView | None = None
        paint_bg(self)
        # Side by side (kiosk screens are landscape): the preview as large as the height
        # allows, the instruction in large dark type and two big buttons beside it.
        box = BoxLayout(orientation="horizontal", padding=dp(10), spacing=dp(12))
        self.preview = Image(fit_mode="contain", size_hint_x=0.62)
        side = BoxLayout(orientation="vertical", spacing=dp(10), size_hint_x=0.38)
        self.message = Txt(_("Starting the camera…"), 24, T.TEXT, bold=True, fill=True)
        self.back_button = BigButton(_("Back"), on_back, T.GREY, size=22, height=76,
                                     text_colour=T.TEXT)
        self.start_button = BigButton(_(start_text), self._start, T.GREY, size=22, height=76,
                                      text_colour=T.MUTED, disabled=True,
                                      background_disabled_normal="",
                                      disabled_color=T.MUTED)
        for w in (self.message, self.start_button, self.back_button):
            side.add_widget(w)
        box.add_widget(self.preview)
        box.add_widget(side)
        self.add_widget(box)

    def on_enter(self, *_: Any) -> None:
        self._event = Clock.schedule_interval(lambda dt: self.tick(), 1.0 / PREVIEW_HZ)

    def on_leave(self, *_: Any) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def refresh(self) -> None:
        """What every kiosk screen offers: draw the newest result now."""
        self.tick()

    def tick(self) -> SetupView | None:
        """One refresh: show the newest frame and its skeleton, update the check."""
        result = self._latest()
        if result is None:
            return None
        if result.t_s != self._shown_t:
            self._show_image(result)
            self._shown_t = result.t_s
        view = self.vm.update(self._clock(), result.pose, result.image_bgr)
        self.view_ = view
        self.message.text = view.message
        if self.start_button.disabled == view.ready:
            self.start_button.disabled = not view.ready
            self.start_button.set_colour(T.GOOD if view.ready else T.GREY)
            self.start_button.color = T.WHITE if view.ready else T.MUTED
        self._draw_bones(view)
        return view

    def _start(self) -> None:
        if self.view_ is not None and self.view_.ready:
            self._on_start()

    def _show_image(self, result: CameraResult) -> None:
        self.preview.texture = self._picture.show(result.image_bgr, self.preview.width,
                                                  self.preview.height)
        self.preview.canvas.ask_update()

    def _draw_bones(self, view: SetupView) -> None:
        img = self.preview
        self.preview.canvas.after.clear()
        if self._picture.texture is None:
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
