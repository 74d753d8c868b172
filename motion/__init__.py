"""Pure real-time signal processing: bias, orientation, joint angles, reps, ROM, quality.

No I/O imports here (no bleak, serial, kivy, paho, sqlite3): everything is a function or a
small object fed with arrays, so live sensors and file replay run the same code.
"""
