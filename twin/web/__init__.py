"""The scene on the web: a project published as a static site that browsers open offline.

Headless (no Qt, no VTK): the command line and the desktop app both call `twin.web.site.publish`.
"""
