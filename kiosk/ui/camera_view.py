"""The camera's picture with the detected skeleton, for a camera exercise's live screen:
the newest ``CameraResult`` (image_bgr, pose) of a ``CameraWorker`` drawn as a texture,
bones on top (``kiosk.camera_setup_vm.bones``), the exercised joint's two bones highlighted
(the set's ``ExerciseRun.camera_joint``: the plan's joint and side). Redrawn only when a new
frame came or the joint changed."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.uix.image import Image

from kiosk.camera_setup_vm import bones
from kiosk.ui.camera_texture import CameraTexture
from sensors.camera.angles import CameraJoint

BONE_RGBA = (1.0, 1.0, 1.0, 0.9)
JOINT_RGBA = (0.13, 0.75, 0.25, 1.0)


class CameraView(Image):
    def __init__(self, joint: CameraJoint = CameraJoint.KNEE_RIGHT, **kw: Any) -> None:
        super().__init__(fit_mode="contain", **kw)
        self.joint = joint
        self._picture = CameraTexture()  # the frame at the panel's size (its texture)
        self._shown_t: float | None = None
        self._pose: Any = None
        # laid out after the frame: drawn on the next tick, once the layout has settled (inside
        # a pos/size callback center_x and norm_image_size can still hold the old values)
        self._relaid = Clock.create_trigger(self._relayout)
        self.bind(pos=self._relaid, size=self._relaid)

    def show(self, result: Any, joint: CameraJoint | None = None) -> None:
        """Draw ``result`` (a CameraResult or None) if it is newer than the one shown, with
        ``joint`` (when given: the set's) highlighted."""
        if joint is not None and joint != self.joint:
            self.joint = joint
            self._draw_bones()
        if result is None or result.t_s == self._shown_t:
            return
        self._shown_t = result.t_s
        self.texture = self._picture.show(result.image_bgr, self.width, self.height)
        self._pose = result.pose
        self._draw_bones()

    def _relayout(self, *_args: Any) -> None:
        texture = self._picture.refit(self.width, self.height)  # the picture at its new size
        if texture is not None:
            self.texture = texture
        self._draw_bones()

    def _draw_bones(self, *_args: Any) -> None:
        self.canvas.after.clear()
        if self._picture.texture is None:
            return
        nw, nh = self.norm_image_size
        x0, y0 = self.x + (self.width - nw) / 2, self.y + (self.height - nh) / 2
        with self.canvas.after:
            for bone in bones(self._pose, self.joint):
                Color(*(JOINT_RGBA if bone.highlight else BONE_RGBA))
                Line(points=[x0 + bone.x0 * nw, y0 + (1 - bone.y0) * nh,
                             x0 + bone.x1 * nw, y0 + (1 - bone.y1) * nh],
                     width=3 if bone.highlight else 2)
