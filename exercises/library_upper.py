"""Catalogue entries for the shoulder, elbow and trunk (pure data; see
:mod:`exercises.catalogue`).

Instructions are read by patients at home and spoken aloud: short sentences, what to do,
then what to avoid. Ids are stable: never rename one.
"""

from __future__ import annotations

from exercises.body import BodySegment as S
from exercises.body import CameraView, Joint, Plane
from exercises.exercise import N_, Exercise, Position

SHOULDER: tuple[Exercise, ...] = (
    Exercise(
        id="shoulder_flexion_standing", name=N_("Standing shoulder flexion"),
        instructions=N_("Stand tall. Raise the straight arm forwards and up as far as is "
                      "comfortable. Hold, then lower slowly. Do not shrug or lean back."),
        joint=Joint.SHOULDER, distal=S.UPPER_ARM, proximal=S.TRUNK,
        target_rom_deg=120.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        position=Position.STANDING, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="shoulder_abduction_standing", name=N_("Standing shoulder abduction"),
        instructions=N_("Stand tall. Raise the straight arm out to the side up to shoulder "
                      "height. Hold, then lower slowly. Do not shrug or lean to the side."),
        joint=Joint.SHOULDER, distal=S.UPPER_ARM, proximal=S.TRUNK,
        target_rom_deg=90.0, hold_s=3.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        plane=Plane.FRONTAL, position=Position.STANDING, camera_view=CameraView.FRONT,
    ),
    Exercise(
        id="scaption", name=N_("Arm raise at an angle"),
        instructions=N_("Stand tall, thumb pointing up. Raise the straight arm up to shoulder "
                      "height, halfway between forwards and out to the side. Hold, then "
                      "lower slowly. Do not shrug."),
        joint=Joint.SHOULDER, distal=S.UPPER_ARM, proximal=S.TRUNK,
        target_rom_deg=90.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        plane=Plane.FRONTAL,  # the scapular plane, 30° forward of the frontal plane
        position=Position.STANDING,
    ),
    Exercise(
        id="shoulder_extension_standing", name=N_("Standing arm swing back"),
        instructions=N_("Stand tall, arms by your sides. Move the straight arm backwards as far "
                      "as is comfortable. Hold, then bring it back. Do not lean forwards."),
        joint=Joint.SHOULDER, distal=S.UPPER_ARM, proximal=S.TRUNK,
        target_rom_deg=40.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        position=Position.STANDING, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="shoulder_external_rotation", name=N_("Shoulder turn outwards"),
        instructions=N_("Sit or stand with your elbow at your side, bent to a right angle. Keep "
                      "the elbow against your side and turn the hand outwards. Hold, then "
                      "bring it back. Do not let the elbow move away from your body."),
        joint=Joint.SHOULDER, distal=S.FOREARM, proximal=S.UPPER_ARM,
        target_rom_deg=45.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        plane=Plane.TRANSVERSE, position=Position.SEATED, second_sensor=False,
    ),
)

ELBOW: tuple[Exercise, ...] = (
    Exercise(
        id="elbow_flexion", name=N_("Elbow curl"),
        instructions=N_("Sit with the upper arm by your side. Bend the elbow to bring the hand "
                      "up. Hold, then lower slowly. Keep the elbow at your side."),
        joint=Joint.ELBOW, distal=S.FOREARM, proximal=S.UPPER_ARM,
        target_rom_deg=110.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        position=Position.SEATED, camera_view=CameraView.SIDE,
    ),
    Exercise(
        id="elbow_extension_overhead", name=N_("Overhead elbow straightening"),
        instructions=N_("Sit tall. Raise your arm so the elbow points up and the hand is behind "
                      "your head. Straighten the elbow to raise the hand. Hold, then lower it "
                      "slowly. Keep the elbow still."),
        joint=Joint.ELBOW, distal=S.FOREARM, proximal=S.UPPER_ARM,
        target_rom_deg=100.0, hold_s=2.0, up_s=1.5, down_s=1.5, rest_s=1.5,
        extends=True, position=Position.SEATED, camera_view=CameraView.SIDE,
    ),
)

TRUNK: tuple[Exercise, ...] = (
    Exercise(
        id="trunk_flexion_seated", name=N_("Seated trunk bend"),
        instructions=N_("Sit on a stool, arms hanging. Bend the upper body forwards a little. "
                      "Hold, then sit up tall again. Move slowly. Stop if your back hurts."),
        joint=Joint.TRUNK, distal=S.TRUNK, proximal=S.PELVIS,
        target_rom_deg=30.0, hold_s=5.0, up_s=2.0, down_s=2.0, rest_s=2.0,
        lifts=False, position=Position.SEATED,
    ),
    Exercise(
        id="trunk_rotation_seated", name=N_("Seated trunk turn"),
        instructions=N_("Sit tall on a chair, arms crossed on your chest. Turn your upper body "
                      "to one side. Hold, then turn back to the middle. Keep your hips and "
                      "knees facing forwards."),
        joint=Joint.TRUNK, distal=S.TRUNK, proximal=S.PELVIS,
        target_rom_deg=40.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=1.5,
        plane=Plane.TRANSVERSE, position=Position.SEATED, second_sensor=False,
    ),
    Exercise(
        id="trunk_side_bend_standing", name=N_("Standing side bend"),
        instructions=N_("Stand tall, feet apart. Slide one hand down the side of your leg, "
                      "bending sideways. Hold, then stand up straight. Do not lean forwards "
                      "or twist."),
        joint=Joint.TRUNK, distal=S.TRUNK, proximal=S.PELVIS,
        target_rom_deg=25.0, hold_s=2.0, up_s=2.0, down_s=2.0, rest_s=1.5,
        lifts=False, plane=Plane.FRONTAL, position=Position.STANDING,
    ),
)

UPPER: tuple[Exercise, ...] = (*SHOULDER, *ELBOW, *TRUNK)
