import os

# Widget tests run without a display; the 3D view is the off-screen one.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
