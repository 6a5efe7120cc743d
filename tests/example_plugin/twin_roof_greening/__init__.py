"""An example of a simulation package from outside the twin (see pyproject.toml beside it)."""
