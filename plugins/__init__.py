"""The built-in simulation plugins, registered through the `twin.simulations` entry points."""
