"""Catalogue entries for the knee, hip and ankle (pure data; see :mod:`exercises.catalogue`).

Instructions are read by patients at home and spoken aloud: short sentences, what to do,
then what to avoid. Ids are stable: never rename one.
"""

from __future__ import annotations

from exercises.body import BodySegment as S
from exercises.body import CameraView, Joint, Plane
from exercises.exercise import N_, Exercise, Position

KNEE: tuple[Exercise, ...] = (
    Exercise(
        id="knee_extension_seated", name=N_("Seated knee extension"),
        instructions=N_("Sit tall on a firm chair. Slowly straighten your knee until the leg is "
                      "level. Hold, then lower it slowly. Do not lean back or swing the leg."),
        joint=Joint.KNEE, distal=S.SHANK, proximal=S.THIGH,
        target_rom_deg=70.0, hold_s=3.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        extends=True,  # from ~90° of knee flexion towards a straight leg
        position=Position.SEATED, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="heel_slide", name=N_("Heel slide"),
        instructions=N_("Lie on your back. Slide your heel towards your buttock, bending the knee "
                      "as far as is comfortable. Hold, then slide it back. Keep the heel on "
                      "the bed. Do not lift your hips."),
        joint=Joint.KNEE, distal=S.SHANK, proximal=S.THIGH,
        target_rom_deg=90.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=1.5,
        position=Position.SUPINE, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="sit_to_stand", name=N_("Sit to stand"),
        instructions=N_("Sit near the front of a firm chair, feet flat and apart. Lean forward "
                      "and stand up. Stand tall for a moment, then sit down slowly. Use your "
                      "hands on the armrests if you need to. Do not drop into the chair."),
        joint=Joint.KNEE, distal=S.THIGH, proximal=S.SHANK,  # the thigh moves, the shank stays
        target_rom_deg=80.0, hold_s=1.0, up_s=2.0, down_s=2.5, rest_s=2.0, reps=8,
        extends=True, position=Position.SEATED, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="mini_squat", name=N_("Mini squat"),
        instructions=N_("Stand tall holding the back of a chair, feet apart. Bend your knees a "
                      "little, as if to sit down. Hold, then straighten up. Keep your heels "
                      "down and your knees over your toes. Do not bend more than is "
                      "comfortable."),
        joint=Joint.KNEE, distal=S.THIGH, proximal=S.SHANK,
        target_rom_deg=45.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=1.5,
        lifts=False,  # the thigh tips back and the body goes down
        position=Position.STANDING, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="terminal_knee_extension", name=N_("Knee straightening over a roll"),
        instructions=N_("Lie on your back with a rolled towel under your knee. Straighten the "
                      "knee to lift your heel off the bed. Hold, then lower slowly. Keep the "
                      "back of the knee on the roll."),
        joint=Joint.KNEE, distal=S.SHANK, proximal=S.THIGH,
        target_rom_deg=30.0, hold_s=5.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        extends=True, position=Position.SUPINE, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="hamstring_curl_standing", name=N_("Standing hamstring curl"),
        instructions=N_("Stand tall holding the back of a chair. Bend your knee to bring the "
                      "heel up behind you. Hold, then lower slowly. Keep your knees side by "
                      "side. Do not arch your back."),
        joint=Joint.KNEE, distal=S.SHANK, proximal=S.THIGH,
        target_rom_deg=90.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        position=Position.STANDING, camera_view=CameraView.SIDE,
    ),
)

HIP: tuple[Exercise, ...] = (
    Exercise(
        id="straight_leg_raise", name=N_("Straight-leg raise"),
        instructions=N_("Lie on your back, other knee bent. Keep the knee straight and lift the "
                      "leg to the height of the other knee. Hold, then lower slowly. Do not "
                      "arch your back."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.PELVIS,
        target_rom_deg=45.0, hold_s=5.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        position=Position.SUPINE, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="hip_abduction_side_lying", name=N_("Side-lying hip abduction"),
        instructions=N_("Lie on your side, bottom knee bent. Lift the top leg straight up towards "
                      "the ceiling. Hold, then lower slowly. Keep your toes pointing forwards. "
                      "Do not roll backwards."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.PELVIS,
        target_rom_deg=35.0, hold_s=3.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        plane=Plane.FRONTAL, position=Position.SIDE_LYING,
    ),
    Exercise(
        id="hip_flexion_standing", name=N_("Standing knee lift"),
        instructions=N_("Stand tall holding the back of a chair. Lift one knee up in front of "
                      "you, as if marching. Hold, then lower slowly. Stand up straight. Do "
                      "not lean back."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.PELVIS,
        target_rom_deg=70.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        position=Position.STANDING, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="hip_extension_prone", name=N_("Lying hip extension"),
        instructions=N_("Lie on your stomach. Keep the knee straight and lift the leg a little "
                      "off the bed. Hold, then lower slowly. Keep your hips on the bed. Do "
                      "not twist."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.PELVIS,
        target_rom_deg=20.0, hold_s=3.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        position=Position.PRONE,
    ),
    Exercise(
        id="clamshell", name=N_("Clamshell"),
        instructions=N_("Lie on your side with your hips and knees bent, feet together. Keep "
                      "your feet touching and lift the top knee. Hold, then lower slowly. Do "
                      "not roll backwards."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.PELVIS,
        target_rom_deg=40.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        plane=Plane.TRANSVERSE,  # hip turning outwards
        position=Position.SIDE_LYING,
    ),
    Exercise(
        id="bridge", name=N_("Bridge"),
        instructions=N_("Lie on your back with your knees bent, feet flat. Squeeze your buttocks "
                      "and lift your hips off the bed. Hold, then lower slowly. Keep your "
                      "shoulders down. Do not arch your back."),
        joint=Joint.HIP, distal=S.THIGH, proximal=S.SHANK,  # the thigh turns about the knee
        target_rom_deg=35.0, hold_s=3.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        extends=True, position=Position.SUPINE, second_sensor=False,
    ),
)

ANKLE: tuple[Exercise, ...] = (
    Exercise(
        id="ankle_dorsiflexion_seated", name=N_("Seated toe lift"),
        instructions=N_("Sit on a chair with your feet flat. Keep the heel on the floor and lift "
                      "the front of your foot. Hold, then lower slowly. Do not lift your "
                      "knee."),
        joint=Joint.ANKLE, distal=S.FOOT, proximal=S.SHANK,
        target_rom_deg=20.0, hold_s=2.0, up_s=1.0, down_s=1.0, rest_s=1.5, reps=15,
        position=Position.SEATED,
    ),
    Exercise(
        id="heel_raise_standing", name=N_("Heel raise"),
        instructions=N_("Stand tall holding the back of a chair, feet apart. Rise up onto your "
                      "toes. Hold, then lower your heels slowly. Keep your knees straight. Do "
                      "not lean on the chair."),
        joint=Joint.ANKLE, distal=S.FOOT, proximal=S.SHANK,
        target_rom_deg=25.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5, reps=12,
        position=Position.STANDING, second_sensor=False,
    ),
)

LOWER: tuple[Exercise, ...] = (*KNEE, *HIP, *ANKLE)
