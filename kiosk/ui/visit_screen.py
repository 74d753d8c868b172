"""The video visit screen: the therapist's video, the patient's own preview, the cue
banner, what is on (camera and microphone), and a big Hang up button.

Draws :class:`kiosk.vm.visit.VisitVM` and forwards touches to it; nothing else. While
ringing it shows the consent question (camera and microphone stay off until "Yes"); a
record request shows its own question; at the end it shows why (who hung up, "Cannot
connect ..."). Registering it (H7, ``kiosk/ui/app.py`` and the flow)::

    screen = VisitScreen(visit_vm, preview=hub.subscribe("preview"), on_done=flow.go_home,
                         name="visit")
    app.sm.add_widget(screen)
    visit_vm.on_change = lambda: (app.sm.current != "visit" and visit_vm.active
                                  and setattr(app.sm, "current", "visit")) or screen.refresh()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.screenmanager import Screen

from kiosk.adapters.call import FrameFeed
from kiosk.i18n import _
from kiosk.ui import theme as T
from kiosk.ui.widgets import BigButton, Card, Txt, paint_bg
from kiosk.vm.visit import Phase, VisitVM

VIDEO_BG = (0.08, 0.09, 0.11, 1)
CUE_BG = (1.0, 0.86, 0.25, 1)
REFRESH_HZ = 15.0


def to_texture(image: np.ndarray, fmt: str, texture: Texture | None) -> Texture:
    """``image`` (H x W x 3 uint8, rows top first) into ``texture`` (made when its size
    changes); Kivy's textures start at the bottom row, so it is flipped once."""
    h, w = image.shape[:2]
    if texture is None or texture.size != (w, h):
        texture = Texture.create(size=(w, h), colorfmt="rgb")
        texture.flip_vertical()
    texture.blit_buffer(np.ascontiguousarray(image).tobytes(), colorfmt=fmt,
                        bufferfmt="ubyte")
    return texture


class VisitScreen(Screen):
    def __init__(self, vm: VisitVM, *, preview: FrameFeed | None = None,
                 on_done: Callable[[], None] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.vm = vm
        self.preview = preview
        self.on_done = on_done
        self._remote_tex: Texture | None = None
        self._own_tex: Texture | None = None
        self._tick_ev: Any = None
        paint_bg(self, VIDEO_BG)
        root = BoxLayout(orientation="vertical")
        # top line: who, and what is on
        top = BoxLayout(size_hint_y=None, height=T.touch_h(56), padding=(dp(12), dp(4)),
                        spacing=dp(8))
        paint_bg(top, T.PRIMARY_DARK)
        self.title = Txt("", 22, T.WHITE, bold=True, fill=True)
        self.media = Txt("", 18, T.WHITE, bold=True, fill=True, halign="center",
                         size_hint_x=0.75)
        self._media_box = BoxLayout(size_hint_x=0.75, padding=dp(4))
        self._media_box.add_widget(self.media)
        top.add_widget(self.title)
        top.add_widget(self._media_box)
        root.add_widget(top)
        # the video area: remote fills it, own preview in a corner, banner and prompts over
        self.area = FloatLayout()
        self.remote = Image(fit_mode="contain", pos_hint={"x": 0, "y": 0}, size_hint=(1, 1))
        self.own = Image(fit_mode="contain", size_hint=(0.26, 0.3),
                         pos_hint={"right": 0.99, "y": 0.02})
        self.cue = Txt("", 34, T.TEXT, bold=True, halign="center", fill=True,
                       size_hint=(0.8, 0.18), pos_hint={"center_x": 0.5, "top": 0.97})
        self._cue_bg = paint_box(self.cue, CUE_BG)
        self.card = Card(size_hint=(0.8, 0.62), pos_hint={"center_x": 0.5, "center_y": 0.5})
        for w in (self.remote, self.own, self.cue, self.card):
            self.area.add_widget(w)
        root.add_widget(self.area)
        self.hang = BigButton(_("Hang up"), self._hang_up, T.DANGER, size=26, height=76)
        # while the clinic records (the patient said yes): Stop, beside Hang up, any time
        self.stop_rec = BigButton(_("Stop recording"), self.vm.stop_recording, T.WHITE,
                                  size=24, height=76, text_colour=T.DANGER)
        bottom = BoxLayout(size_hint_y=None, height=self.hang.height, spacing=dp(8))
        bottom.add_widget(self.stop_rec)
        bottom.add_widget(self.hang)
        root.add_widget(bottom)
        self.add_widget(root)
        self.refresh()

    # --- drawing ---------------------------------------------------------------------
    def on_leave(self, *_: Any) -> None:
        """Left, or the app stops (KioskApp.on_stop leaves the current screen): the video
        tick ends; refresh() starts it again when the call is shown again."""
        if self._tick_ev is not None:
            self._tick_ev.cancel()
            self._tick_ev = None

    def refresh(self) -> None:
        v = self.vm.view()
        self.title.text = v.title or _("Video call")
        self.media.text = v.media_line + ("  -  " + _("RECORDING") if v.recording else "")
        on = v.camera_on or v.microphone_on
        self._media_box.canvas.before.clear()
        paint_box(self._media_box, T.DANGER if on else T.MUTED)
        self.cue.text = v.cue
        self.cue.opacity = 1 if v.cue else 0
        # own picture once there is one (an empty Image is a white box)
        self.own.opacity = 1 if v.camera_on and self._own_tex is not None else 0
        self.hang.disabled = v.phase not in (Phase.CONNECTING, Phase.IN_CALL)
        self.hang.opacity = 0 if self.hang.disabled else 1
        self.stop_rec.disabled = not v.recording
        self.stop_rec.opacity = 1 if v.recording else 0
        self.stop_rec.size_hint_x = 0.45 if v.recording else 0.001
        self._build_card(v)
        live = v.phase in (Phase.CONNECTING, Phase.IN_CALL)
        if live and self._tick_ev is None:
            self._tick_ev = Clock.schedule_interval(self.tick, 1 / REFRESH_HZ)
        elif not live and self._tick_ev is not None:
            self._tick_ev.cancel()
            self._tick_ev = None
        self.tick()

    def _build_card(self, v: Any) -> None:
        c = self.card
        c.clear_widgets()
        buttons = BoxLayout(size_hint_y=None, height=T.touch_h(72), spacing=dp(12))
        if v.phase == Phase.RINGING:
            c.add_widget(Txt(self.vm.prompt, 24, bold=True, fill=True))
            c.add_widget(Txt(_("Nothing is recorded unless you agree on this screen."), 18,
                             T.MUTED, fill=True))
            buttons.add_widget(BigButton(_("Yes, start the video call"), self._accept, T.GOOD))
            buttons.add_widget(BigButton(_("Not now"), self.vm.decline, T.MUTED))
        elif v.record_prompt:
            c.add_widget(Txt(_("Your therapist asks to record this call. The recording is "
                               "kept only at the clinic. Allow recording?"), 24, bold=True,
                             fill=True))
            c.add_widget(Txt(_("If you do not answer within {s} seconds, nothing is recorded. "
                               "You can stop it at any time.").format(
                s=f"{self.vm.record_answer_s:g}"), 18, T.MUTED, fill=True))
            buttons.add_widget(BigButton(_("Yes, record"), lambda: self.vm.consent_recording(True),
                                         T.GOOD))
            buttons.add_widget(BigButton(_("No"), lambda: self.vm.consent_recording(False),
                                         T.MUTED))
        elif v.phase in (Phase.ENDED, Phase.IDLE) and v.notice:
            c.add_widget(Txt(v.notice, 24, bold=True, fill=True))
            buttons.add_widget(BigButton(_("OK"), self._done, T.PRIMARY))
        else:
            c.opacity = 0
            c.disabled = True
            return
        c.opacity, c.disabled = 1, False
        c.add_widget(buttons)

    def tick(self, *_: Any) -> None:
        call = self.vm.call
        rgb = call.latest_remote() if call is not None else None
        if rgb is not None:
            self._remote_tex = to_texture(rgb, "rgb", self._remote_tex)
            self.remote.texture = self._remote_tex
            self.remote.opacity = 1
        elif call is None:
            self.remote.opacity = 0
        if self.preview is not None and self.vm.camera_on:
            got = self.preview.latest()
            if got is not None:
                self._own_tex = to_texture(got[1], "bgr", self._own_tex)
                self.own.texture = self._own_tex
                self.own.opacity = 1
        if self.remote.texture is not None:
            self.remote.canvas.ask_update()

    # --- touches ---------------------------------------------------------------------
    def _accept(self) -> None:
        asyncio.ensure_future(self.vm.accept())

    def _hang_up(self) -> None:
        asyncio.ensure_future(self.vm.hang_up())

    def _done(self) -> None:
        self.vm.dismiss()
        if self.on_done is not None:
            self.on_done()


def paint_box(widget: Any, colour: Any) -> Any:
    """A rounded coloured box behind ``widget`` (follows its size)."""
    from kivy.graphics import Color, RoundedRectangle

    with widget.canvas.before:
        Color(*colour)
        rect = RoundedRectangle(pos=widget.pos, size=widget.size, radius=[dp(10)])
    widget.bind(pos=lambda *_: setattr(rect, "pos", widget.pos),
                size=lambda *_: setattr(rect, "size", widget.size))
    return rect
