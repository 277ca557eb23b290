"""An attacker for the disclosure-control tests, written apart from the product's code.

It knows what a reader of the published files knows: every published cell (a suppressed one
is None), that an absent cell is 0, and the linear equations between cells (each parent = the
sum of its children, as if every unit were additive). It solves the system for every
suppressed cell: a cell is recovered iff it is the same in every solution, i.e. iff no vector
of the null space of the equations restricted to the suppressed cells moves it. Unlike the
product (which reasons over leaf cells), it writes one equation per parent and its children
and solves by singular value decomposition, component by component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping

import numpy as np

Key = Hashable
Equation = tuple[Key, Iterable[Key]]


def recovered(cells: Mapping[Key, int | None], equations: Iterable[Equation]) -> set[Key]:
    """The suppressed cells (value None) that the published cells and `equations` determine.

    Cells missing from `cells` are known zeros.
    """
    unknown = sorted((k for k, v in cells.items() if v is None), key=repr)
    index = {k: i for i, k in enumerate(unknown)}
    rows: list[dict[int, float]] = []
    for parent, children in equations:
        row: dict[int, float] = defaultdict(float)
        for key, sign in [(parent, 1.0), *((c, -1.0) for c in children)]:
            if key in index:
                row[index[key]] += sign
        row = {i: c for i, c in row.items() if c != 0}
        if row:
            rows.append(row)
    # connected components of the unknowns (union-find over shared equations)
    parent_of = list(range(len(unknown)))

    def find(i: int) -> int:
        while parent_of[i] != i:
            parent_of[i] = parent_of[parent_of[i]]
            i = parent_of[i]
        return i

    for row in rows:
        first, *others = list(row)
        for other in others:
            parent_of[find(other)] = find(first)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(unknown)):
        groups[find(i)].append(i)
    group_rows: dict[int, list[dict[int, float]]] = defaultdict(list)
    for row in rows:
        group_rows[find(next(iter(row)))].append(row)

    found: set[Key] = set()
    for root, members in groups.items():
        position = {i: j for j, i in enumerate(members)}
        eqs = group_rows.get(root, [])
        if not eqs:
            continue  # no equation touches these cells: nothing to solve
        matrix = np.zeros((len(eqs), len(members)))
        for r, row in enumerate(eqs):
            for i, c in row.items():
                matrix[r, position[i]] = c
        # vt must span all of R^n: full only when there are fewer equations than unknowns
        _, s, vt = np.linalg.svd(matrix, full_matrices=matrix.shape[0] < matrix.shape[1])
        rank = int((s > 1e-9 * max(matrix.shape) * max(s[0], 1.0)).sum()) if s.size else 0
        null = vt[rank:]
        moved = np.abs(null).max(axis=0) if null.shape[0] else np.zeros(len(members))
        for i, amount in zip(members, moved, strict=True):
            if amount < 1e-7:
                found.add(unknown[i])
    return found
