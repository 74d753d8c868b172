"""The exercise's animated demonstration: a body figure looping one rep (Kivy canvas).

The frames come from :func:`sensors.sim.figure.demo` (the simulator's kinematics, pure);
this widget only draws them: rounded limbs with thickness (a quad and two round ends),
the head, the torso and the furniture, each ringed with the background colour so a limb
in front of the body stays visible. It plays while it is on screen and stops when it is
taken off, so an instruction screen can simply hold one, at the plan's ROM and tempo::

    card.add_widget(DemoFigure.for_plan_item(ex))  # ex: therapy.plan.PlanExercise

(``start()``/``stop()`` are there too, as the stick animation had them.)
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Mesh, Quad
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui import theme as T
from sensors.sim.figure import OUTLINE_M, TONE_RGB, Demo, Prescription, Shape, demo

DEFAULT_FPS = 15.0
MARGIN_FRAC = 0.04


@lru_cache(maxsize=8)
def _demo(exercise_id: str, fps: float, rx: Prescription) -> Demo:
    return demo(exercise_id, fps, rx)


class DemoFigure(Widget):
    """Plays ``exercise_id``'s demonstration in a loop while the widget is on screen.

    ``frame_`` is the frame on the canvas; ``frames_drawn_`` counts redraws (tests).
    """

    exercise_id = StringProperty("")
    fps = NumericProperty(DEFAULT_FPS)

    @classmethod
    def for_plan_item(cls, item: Any, **kwargs: Any) -> DemoFigure:
        """The demonstration of a plan entry (``therapy.plan.PlanExercise``) at its
        prescribed ROM, hold and tempo."""
        rx = Prescription(item.target_rom_deg, item.up_s, item.hold_s, item.down_s)
        return cls(exercise_id=item.exercise_id, prescription=rx, **kwargs)

    def __init__(self, prescription: Prescription | None = None, **kwargs: Any) -> None:
        self.prescription = prescription or Prescription()
        self._paused = False
        self.frame_ = 0
        self.frames_drawn_ = 0
        self._event: Any = None
        self._demo: Demo | None = None
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw, exercise_id=self._load, fps=self._load,
                  parent=self._on_parent)
        self._load()

    def _load(self, *_: Any) -> None:
        self._demo = (_demo(self.exercise_id, float(self.fps), self.prescription)
                      if self.exercise_id else None)
        self.frame_ = 0
        self._restart()
        self._redraw()

    def _on_parent(self, *_: Any) -> None:
        self._restart()

    def _restart(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        if self.parent is not None and self._demo is not None and not self._paused:
            self._event = Clock.schedule_interval(self.step, 1.0 / float(self.fps))

    def start(self) -> None:
        """Play (it plays by itself once on screen; this undoes :meth:`stop`)."""
        self._paused = False
        self._restart()

    def stop(self) -> None:
        """Stop playing (the screen is left)."""
        self._paused = True
        self._restart()

    def step(self, *_: Any) -> None:
        """Show the next frame (the loop's clock calls this)."""
        if self._demo is None:
            return
        self.frame_ = (self.frame_ + 1) % len(self._demo.frames)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        d = self._demo
        if d is None or self.width < 2 or self.height < 2:
            return
        x0, y0, x1, y1 = d.bounds
        margin = MARGIN_FRAC * min(self.width, self.height)
        scale = min((self.width - 2 * margin) / (x1 - x0), (self.height - 2 * margin) / (y1 - y0))
        ox = self.x + (self.width - scale * (x1 - x0)) / 2.0 - x0 * scale
        oy = self.y + (self.height - scale * (y1 - y0)) / 2.0 - y0 * scale
        ring = OUTLINE_M * scale
        with self.canvas:
            for s in d.frames[self.frame_]:
                pts = [(ox + float(p[0]) * scale, oy + float(p[1]) * scale) for p in s.points]
                if s.outline:
                    Color(*T.BG)
                    _shape(s, pts, s.radius_m * scale + ring, ring)
                Color(*TONE_RGB[s.tone], 1.0)
                _shape(s, pts, s.radius_m * scale, 0.0)
        self.frames_drawn_ += 1


def _shape(s: Shape, pts: list[tuple[float, float]], r: float, grow: float) -> None:
    if s.kind == "polygon":
        if len(pts) >= 3 and not grow:  # polygons (torso, furniture) are not ringed
            verts: list[float] = []
            for x, y in pts:
                verts += [x, y, 0.0, 0.0]
            Mesh(vertices=verts, indices=list(range(len(pts))), mode="triangle_fan")
        return
    if s.kind == "capsule":
        (ax, ay), (bx, by) = pts
        length = math.hypot(bx - ax, by - ay)
        if length > 1e-6:
            nx, ny = -(by - ay) / length * r, (bx - ax) / length * r
            Quad(points=[ax + nx, ay + ny, bx + nx, by + ny, bx - nx, by - ny, ax - nx, ay - ny])
    for x, y in pts:
        Ellipse(pos=(x - r, y - r), size=(2 * r, 2 * r))

