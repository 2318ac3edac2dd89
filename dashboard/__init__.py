"""The ResectSim dashboard (Streamlit): presentation only.

It imports the ``simulation`` package for every number it shows; nothing here samples, simulates
or validates scenario input on its own. ``app.py`` is the entry point (``make run``).
"""
