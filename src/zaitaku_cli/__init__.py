"""zaitaku: home-care (在宅医療) supply and demand pipeline."""

import os

__version__ = "0.1.0"

# Disclosure control (suppression.py) solves thousands of small linear systems (a few hundred
# rows each): OpenBLAS threads only add overhead there, and on a machine shared with other jobs
# they spin on busy cores — one aggregate of 10 M claim lines took 8.6 s in the solver with the
# default threads and 0.9 s with one. Read by OpenBLAS when numpy loads, so it is set before any
# module imports numpy; an explicit setting of the user's wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
