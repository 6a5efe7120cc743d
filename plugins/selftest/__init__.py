"""A trivial simulation that exercises the contract end to end until the real plugins land.

It is hidden from the user's plugin list (`python main.py plugins --all` shows it).
"""
