"""Small-cell suppression that holds across linked tables (area × age × time hierarchies).

The NDB open-data rule hides values 1–9 (primary suppression). Published totals would give such
a cell back (a prefecture minus its other municipalities, a fiscal year minus its other months),
so further cells are hidden (complementary suppression) until no hidden cell is determined by the
published ones. This module works on one block at a time — a 3-D table of one indicator, basis,
unit and fiscal year — given as dense arrays over the block's nodes:

- area nodes: every area of every level (ward, municipality, 二次医療圏 of both plans, prefecture,
  unknown areas), each a set of leaf areas (the finest level);
- age nodes: total and the four age groups (the leaves);
- time nodes: the fiscal year and its twelve months (the leaves).

A cell (area, age, time) is, for an attacker who treats every unit as additive, the sum of the
leaf cells it contains. A hidden cell is recoverable iff its row (its leaf set, restricted to the
hidden leaf cells) lies in the row space of the published cells' rows: then a linear combination
of published cells gives its value. Zero cells are published (0 stays 0), so only non-zero leaf
cells are unknowns. The check is exact up to floating-point rank decisions on 0/1 matrices
(singular values are compared with a relative tolerance far above rounding and far below the
smallest non-zero singular value such small integer matrices have).

Everything here works on aggregate cells, never on claim lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Dimension",
    "age_dimension",
    "protect_block",
    "recoverable",
    "single_dimension",
    "time_dimension",
]

_TOL = 1e-9


@dataclass(frozen=True)
class Dimension:
    """One hierarchy: `members[node, leaf]` is true when the node contains the leaf.

    `leaf_of[leaf]` is the node index of each leaf; `equations` are (parent, children) pairs the
    heuristic pass looks at (every parent = sum of its children that an attacker can read off).
    """

    members: np.ndarray
    leaf_of: np.ndarray
    equations: tuple[tuple[int, tuple[int, ...]], ...]

    @property
    def size(self) -> int:
        return int(self.members.shape[0])


def _flat_dimension(parent: int, leaves: Sequence[int]) -> Dimension:
    n = 1 + len(leaves)
    members = np.zeros((n, len(leaves)), dtype=bool)
    for j, node in enumerate(leaves):
        members[node, j] = True
        members[parent, j] = True
    return Dimension(
        members=members,
        leaf_of=np.asarray(leaves, dtype=np.int64),
        equations=((parent, tuple(leaves)),),
    )


def age_dimension() -> Dimension:
    """total (node 0) = under65 + 65to74 + 75plus + unknown (nodes 1–4)."""
    return _flat_dimension(0, [1, 2, 3, 4])


def single_dimension() -> Dimension:
    """A dimension of one node that is its own leaf (one period per block)."""
    return Dimension(
        members=np.ones((1, 1), dtype=bool), leaf_of=np.zeros(1, dtype=np.int64), equations=()
    )


def time_dimension() -> Dimension:
    """The fiscal year (node 0) = its months April … March (nodes 1–12)."""
    return _flat_dimension(0, list(range(1, 13)))


def _equation_index(dim: Dimension) -> np.ndarray:
    """(n_equations, width) node indices of each equation, parent first, padded with -1."""
    width = max((1 + len(children) for _, children in dim.equations), default=1)
    index = np.full((len(dim.equations), width), -1, dtype=np.int64)
    for e, (parent, children) in enumerate(dim.equations):
        index[e, 0] = parent
        index[e, 1 : 1 + len(children)] = children
    return index


def _singletons(values: np.ndarray, hidden: np.ndarray, dims: Sequence[Dimension]) -> np.ndarray:
    """Heuristic pass (NDB practice): while an equation has exactly one hidden non-zero cell,
    also hide every cell of it equal to its smallest shown non-zero value (ties included)."""
    hidden = hidden.copy()
    nonzero = values > 0
    indexes = [_equation_index(d) for d in dims]
    changed = True
    while changed:
        changed = False
        for axis, index in enumerate(indexes):
            if index.size == 0:
                continue
            v = np.moveaxis(values, axis, 0)
            h = np.moveaxis(hidden, axis, 0)
            nz = np.moveaxis(nonzero, axis, 0)
            valid = (index >= 0)[:, :, None]
            safe = np.where(index >= 0, index, 0)
            rest = v.reshape(v.shape[0], -1)
            gv = rest[safe]  # (eq, width, rest)
            gh = h.reshape(h.shape[0], -1)[safe] & valid
            gnz = nz.reshape(nz.shape[0], -1)[safe] & valid
            single = (gh & gnz).sum(axis=1) == 1
            if not single.any():
                continue
            shown = gnz & ~gh
            smallest = np.where(shown, gv, np.iinfo(np.int64).max).min(axis=1)
            pick = shown & (gv == smallest[:, None, :]) & single[:, None, :]
            if not pick.any():
                continue
            e, k, r = np.nonzero(pick)
            rest_shape = h.shape[1:]
            others = np.unravel_index(r, rest_shape)
            coords: list[np.ndarray] = list(others)
            coords.insert(axis, safe[e, k])
            hidden[tuple(coords)] = True
            changed = True
    return hidden


class _Audit:
    """The linear algebra of one block's pattern: which hidden cells the published cells
    determine, and for each such cell which shown cells enter a combination that gives it."""

    def __init__(self, values: np.ndarray, hidden: np.ndarray, dims: Sequence[Dimension]):
        self.values = values
        nonzero = values > 0
        self.hidden = hidden & nonzero
        leaf = [np.zeros(d.size, dtype=bool) for d in dims]
        pos = [np.full(d.size, -1, dtype=np.int64) for d in dims]
        for d, flag, p in zip(dims, leaf, pos, strict=True):
            flag[d.leaf_of] = True
            p[d.leaf_of] = np.arange(len(d.leaf_of))
        is_leaf = leaf[0][:, None, None] & leaf[1][None, :, None] & leaf[2][None, None, :]
        self.dims = dims
        # columns: every non-zero leaf cell; the hidden ones are the unknowns
        la, lg, lt = np.nonzero(nonzero & is_leaf)
        self.leaf_cells = (la, lg, lt)
        self.leaf_pos = (pos[0][la], pos[1][lg], pos[2][lt])
        self.unknown = self.hidden[la, lg, lt]
        self.shown_rows = np.nonzero(nonzero & ~self.hidden & ~is_leaf)
        self.full = self._rows(*self.shown_rows)
        m = self.full[:, self.unknown]
        self.m = m
        if m.shape[1]:
            w, v = np.linalg.eigh(m.T @ m)
            keep = w > _TOL * max(float(w[-1]), 1.0) * m.shape[1]
            self.range_v, self.range_w, self.null = v[:, keep], w[keep], v[:, ~keep]
        else:
            self.range_v = self.null = np.zeros((0, 0))
            self.range_w = np.zeros(0)

    def _rows(self, ca: np.ndarray, cg: np.ndarray, ct: np.ndarray) -> np.ndarray:
        area, age, time = self.dims
        pa_, pg, pt = self.leaf_pos
        return (area.members[ca][:, pa_] & age.members[cg][:, pg] & time.members[ct][:, pt]).astype(
            np.float64
        )

    def determined(self) -> np.ndarray:
        """Hidden cells (bool, like values) whose value follows from the published cells."""
        cells = np.nonzero(self.hidden)
        result = np.zeros_like(self.hidden)
        if self.null.shape[1] == 0:
            result[cells] = True
            return result
        target = self._rows(*cells)[:, self.unknown]
        result[cells] = np.abs(target @ self.null).max(axis=1) < 1e-6
        return result

    def complement(self, cell: tuple[int, int, int]) -> tuple[int, int, int] | None:
        """The smallest shown cell whose hiding breaks the combination that gives `cell`:
        a published row with a non-zero coefficient in it, or a published leaf that the
        combination does not cancel."""
        target = self._rows(*(np.array([i]) for i in cell))[0]
        b = target[self.unknown]
        if self.range_w.size:
            coef = self.m @ (self.range_v @ ((self.range_v.T @ b) / self.range_w))
        else:
            coef = np.zeros(self.m.shape[0])
        residual = coef @ self.full[:, ~self.unknown] - target[~self.unknown]
        options: list[tuple[int, int, int]] = []
        for i in np.flatnonzero(np.abs(coef) > 1e-6):
            options.append(tuple(int(a[i]) for a in self.shown_rows))  # type: ignore[arg-type]
        shown_leaves = [a[~self.unknown] for a in self.leaf_cells]
        for i in np.flatnonzero(np.abs(residual) > 1e-6):
            options.append(tuple(int(a[i]) for a in shown_leaves))  # type: ignore[arg-type]
        if not options:
            return None
        return min(options, key=lambda c: (int(self.values[c]), c))


def recoverable(values: np.ndarray, hidden: np.ndarray, dims: Sequence[Dimension]) -> np.ndarray:
    """Hidden cells whose value follows linearly from the published cells (bool, like values).

    Unknowns are the hidden non-zero leaf cells. Each published non-zero cell that is not a
    leaf gives one equation over the unknowns it contains; a hidden cell is determined iff its
    own row is in their row space, i.e. iff every null-space vector is 0 on it.
    """
    return _Audit(values, hidden, dims).determined()


def protect_block(values: np.ndarray, primary: np.ndarray, dims: Sequence[Dimension]) -> np.ndarray:
    """The suppression pattern of one block: primary cells, then complements until no hidden
    cell is recoverable from the published ones (values: int array area × age × time).

    Deterministic: the same values and primary cells give the same pattern.
    """
    nonzero = values > 0
    hidden = primary & nonzero
    if not hidden.any():
        return hidden
    while True:
        hidden = _singletons(values, hidden, dims)
        audit = _Audit(values, hidden, dims)
        found = audit.determined()
        if not found.any():
            return hidden
        add = set()
        for cell in zip(*np.nonzero(found), strict=True):
            choice = audit.complement((int(cell[0]), int(cell[1]), int(cell[2])))
            if choice is not None:
                add.add(choice)
        if not add:  # cannot happen: a determined cell always has a combination to break
            raise AssertionError("suppression: a determined cell with no complement")
        for c in sorted(add):
            hidden[c] = True
