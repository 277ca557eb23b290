"""Random area hierarchies for the disclosure-control property tests (hypothesis).

Municipalities (the leaves) grouped into areas in two ways (two plans, as the 8th and 7th
二次医療圏), and a prefecture over them: the area dimension of suppression.Dimension, with every
equation parent = sum of children an attacker can read off.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from zaitaku_cli.suppression import Dimension


@st.composite
def two_plan_areas(draw: st.DrawFn, max_leaves: int) -> Dimension:
    """2 … max_leaves leaves, the areas of both plans, the prefecture (the last node)."""
    n_leaves = draw(st.integers(2, max_leaves))
    plan_a = draw(st.lists(st.integers(0, 2), min_size=n_leaves, max_size=n_leaves))
    plan_b = draw(st.lists(st.integers(0, 2), min_size=n_leaves, max_size=n_leaves))
    groups = sorted({("a", g) for g in plan_a} | {("b", g) for g in plan_b})
    n_nodes = n_leaves + len(groups) + 1  # leaves, areas of both plans, the prefecture
    pref = n_nodes - 1
    members = np.zeros((n_nodes, n_leaves), dtype=bool)
    members[np.arange(n_leaves), np.arange(n_leaves)] = True
    members[pref] = True
    equations = [(pref, tuple(range(n_leaves)))]
    for plan, plan_groups in (("a", plan_a), ("b", plan_b)):
        areas = []
        for g in sorted(set(plan_groups)):
            node = n_leaves + groups.index((plan, g))
            kids = tuple(i for i, x in enumerate(plan_groups) if x == g)
            members[node, list(kids)] = True
            equations.append((node, kids))
            areas.append(node)
        equations.append((pref, tuple(areas)))
    return Dimension(members=members, leaf_of=np.arange(n_leaves), equations=tuple(equations))
