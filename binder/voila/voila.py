"""Voila's configuration for `make app` and the browser test, loaded with ``--Voila.config_file_paths``.

A Python config file rather than JSON, for its first two lines: Voila executes each lesson with its
own nbclient, which stalls as nbmake's did (jupyter/nbclient#312: a lesson's page then loads
forever); the same poll slicing as the test suite's (theory_lib/_poll_slices.py) fixes it here.
"""

from theory_lib._poll_slices import install

install()

c = get_config()  # noqa: F821 (traitlets provides it)
# JupyterLab's jupytext extension (for editing the lessons' text forms) has no place in an app.
c.VoilaConfiguration.extension_denylist = ["jupyterlab-jupytext"]
