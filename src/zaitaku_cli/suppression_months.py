"""Months inside their fiscal year: the month pattern given the published fiscal-year pattern.

The fiscal-year files are protected on their own (suppression.protect_block). Month files add
twelve cells under each fiscal-year cell: the year = the sum of its months for every area and
age group (patients protected as if additive, like the areas). This module computes the month
pattern of one block (one indicator, basis, unit and fiscal year) so that, with both period
kinds published, no hidden cell of either follows linearly from the published ones. The fiscal
year's pattern is taken as published and never changed, so a fiscal-year run never depends on
the months.

The linear algebra works in the space of the block's leaf cells (leaf area × age group) that
are non-zero in the year: n of them, a hundred or two per prefecture. For each month m, P_m is
the null space of the month's published cells over its hidden leaves (what the month alone
leaves free). A published year cell adds sum_m p_m ⟂ its row. In coordinates y_m of P_m (basis
Z_m) the joint null space is null(A), A = F [Z_1 … Z_12] with F the year's published rows; a
hidden cell is determined iff its vector (Z_m' r for a month cell, all months' for a year cell)
lies in the row space of A, whose dimension is at most n: one small SVD per block and round
instead of a system over every hidden cell of twelve months. Months whose hidden cells did not
change keep their null space from the round before (warm start).

Complements are month cells only. A hidden month cell whose value the year's published cells
and the months' zeros give whatever the months hide (no shown non-zero month cell enters any
combination that gives it) was hidden in vain: it is shown again, unless it is a primary cell;
then, and only then, zeros of other months are hidden, the smallest combination first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zaitaku_cli.suppression import Dimension, _singletons, time_dimension

__all__ = ["protect_months"]

_TOL = 1e-9  # relative tolerance of rank decisions (0/1 matrices: far from rounding)
_EPS = 1e-7  # a coefficient or a residual above this is not zero


@dataclass
class _Month:
    """One month's free directions: null basis `z` (n × k) of its published cells over its
    hidden leaves, and the SVD of those rows to express any determined vector through them."""

    hidden: np.ndarray  # bool over the leaves: unknown in this month
    rows: np.ndarray  # (p, 2) node, age of the published cells used as equations
    u: np.ndarray  # SVD of the equations restricted to the hidden leaves: m = u s vt
    s: np.ndarray
    vt: np.ndarray
    z: np.ndarray  # (n, k): null space embedded in the leaf space


def protect_months(
    values: np.ndarray,
    year_hidden: np.ndarray,
    primary: np.ndarray,
    area: Dimension,
    ages: Dimension,
    shown: np.ndarray | None = None,
) -> np.ndarray:
    """The pattern of a fiscal year and its months (bool, like values).

    values: int (area nodes, age nodes, 13): [..., 0] the fiscal year, [..., 1:] its months
    April … March; year_hidden: bool (area nodes, age nodes), the year's published pattern;
    primary: bool (area nodes, age nodes, 12), the months' primary cells; shown: bool like
    values, month cells that cannot be hidden (a zero the files would not list: a month
    without claims, an age group that only appears where it has some). The result's [..., 0]
    is year_hidden. Deterministic.
    """
    nonzero = values > 0
    hidden = np.zeros(values.shape, dtype=bool)
    hidden[..., 0] = year_hidden & nonzero[..., 0]
    hidden[..., 1:] = primary & nonzero[..., 1:]
    is_primary = np.zeros(values.shape, dtype=bool)
    is_primary[..., 1:] = primary & nonzero[..., 1:]
    if not hidden.any():
        return hidden
    dims = (area, ages, time_dimension())
    components = _components(area, np.flatnonzero(nonzero[..., 0].any(axis=1)))
    # Month cells that the year's published cells and the months' zeros give whatever the
    # months hide (found with every non-zero month cell hidden): never worth hiding; if one is
    # primary, only hiding zeros of other months can protect it ("in conflict").
    fixed = np.zeros(values.shape, dtype=bool) if shown is None else shown.copy()
    fixed[..., 0] = True  # the year is published as it is
    in_conflict = np.zeros(values.shape, dtype=bool)
    everything = hidden.copy()
    everything[..., 1:] |= nonzero[..., 1:]
    for nodes in components:
        for cell in _JointAudit(values, everything, area, ages, nodes, [None] * 12).determined():
            if cell[2] > 0:
                (in_conflict if is_primary[cell] else fixed)[cell] = True
    months: dict[int, list[_Month | None]] = {c: [None] * 12 for c in range(len(components))}
    while True:
        hidden = _singletons(values, hidden, dims, fixed=fixed)
        hide: set[tuple[int, int, int]] = set()
        release: set[tuple[int, int, int]] = set()
        for c, nodes in enumerate(components):
            audit = _JointAudit(values, hidden, area, ages, nodes, months[c])
            for cell in audit.determined():
                zeros_only = bool(in_conflict[cell]) or (values[cell] == 0 and cell[2] > 0)
                choice = audit.complement(cell, values, hidden | fixed, zeros_first=zeros_only)
                if choice is not None and values[choice] > 0:
                    hide.add(choice)
                elif cell[2] > 0 and values[cell] > 0 and not is_primary[cell]:
                    release.add(cell)  # the year and the zeros give it: hidden in vain
                elif choice is not None:
                    # a zero of another month, for a primary cell (or a zero hidden for one)
                    hide.add(choice)
                else:
                    raise AssertionError(f"suppression: no complement for {cell}")
        if not hide and not release:
            return hidden
        for cell in release:
            hidden[cell] = False
            fixed[cell] = True
        for cell in sorted(hide):
            hidden[cell] = True


def _rank(s: np.ndarray, size: int) -> int:
    """Singular values above the tolerance (0/1 matrices: far from rounding either way)."""
    if s.size == 0:
        return 0
    return int((s > _TOL * max(float(s[0]), 1.0) * max(size, 1)).sum())


def _components(area: Dimension, present: np.ndarray) -> list[np.ndarray]:
    """The present area nodes grouped by the leaves they share (a prefecture and its areas):
    no equation links two groups, so each is checked on its own."""
    if present.size == 0:
        return []
    members = area.members[present]
    parent = list(range(members.shape[1]))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in members:
        leaves = np.flatnonzero(row)
        for leaf in leaves[1:]:
            parent[find(int(leaf))] = find(int(leaves[0]))
    groups: dict[int, list[int]] = {}
    for node, row in zip(present, members, strict=True):
        leaves = np.flatnonzero(row)
        if leaves.size:
            groups.setdefault(find(int(leaves[0])), []).append(int(node))
    return [np.array(sorted(g), dtype=np.int64) for _, g in sorted(groups.items())]


class _JointAudit:
    """The joint system of one component: the year's published cells and twelve months."""

    def __init__(
        self,
        values: np.ndarray,
        hidden: np.ndarray,
        area: Dimension,
        ages: Dimension,
        nodes: np.ndarray,
        months: list[_Month | None],
    ):
        self.nodes = nodes
        area_leaf = np.full(area.size, -1, dtype=np.int64)
        area_leaf[area.leaf_of] = np.arange(len(area.leaf_of))
        age_leaf = np.full(ages.size, -1, dtype=np.int64)
        age_leaf[ages.leaf_of] = np.arange(len(ages.leaf_of))
        # the leaves: leaf area × age group, non-zero in the year (the others are 0 every month)
        leaf_nodes = nodes[area_leaf[nodes] >= 0]
        ln, lg = np.meshgrid(leaf_nodes, ages.leaf_of, indexing="ij")
        ln, lg = ln.ravel(), lg.ravel()
        keep = values[ln, lg, 0] > 0
        self.leaf_node, self.leaf_age = ln[keep], lg[keep]
        n = len(self.leaf_node)
        # every cell (node, age) of the component and its row over the leaves
        cn, cg = np.meshgrid(nodes, np.arange(ages.size), indexing="ij")
        self.cell_node, self.cell_age = cn.ravel(), cg.ravel()
        self.members = (
            area.members[self.cell_node][:, area_leaf[self.leaf_node]]
            & ages.members[self.cell_age][:, age_leaf[self.leaf_age]]
        ).astype(np.float64)
        self.row_of = {
            (int(a), int(g)): i for i, (a, g) in enumerate(zip(cn.ravel(), cg.ravel(), strict=True))
        }
        touches = self.members.any(axis=1)
        is_leaf = (area_leaf[self.cell_node] >= 0) & (age_leaf[self.cell_age] >= 0)
        self.hidden = hidden
        # the year's published rows (leaf cells included: in time they are parents)
        year_rows = np.flatnonzero(touches & ~hidden[self.cell_node, self.cell_age, 0])
        self.year_basis = np.zeros((0, n))  # (ρ, n) orthonormal rows spanning the year's rows
        if year_rows.size and n:
            _, s, vt = np.linalg.svd(self.members[year_rows], full_matrices=False)
            self.year_basis = vt[: _rank(s, n)]
        # each month's free directions, kept from the round before when its cells are the same
        self.months: list[_Month] = []
        for m in range(12):
            month_hidden = hidden[self.leaf_node, self.leaf_age, m + 1]
            pub = np.flatnonzero(touches & ~is_leaf & ~hidden[self.cell_node, self.cell_age, m + 1])
            rows = np.stack([self.cell_node[pub], self.cell_age[pub]], axis=1)
            old = months[m]
            if (
                old is not None
                and np.array_equal(old.hidden, month_hidden)
                and np.array_equal(old.rows, rows)
            ):
                self.months.append(old)
                continue
            eq = self.members[pub][:, month_hidden]
            k = int(month_hidden.sum())
            if eq.size:
                u, s, vt = np.linalg.svd(eq, full_matrices=True)
                rank = _rank(s, k)
            else:
                u, s, vt = np.zeros((len(pub), 0)), np.zeros(0), np.eye(k)
                rank = 0
            z = np.zeros((n, k - rank))
            z[month_hidden] = vt[rank:].T
            fresh = _Month(month_hidden, rows, u[:, :rank], s[:rank], vt[:rank], z)
            months[m] = fresh
            self.months.append(fresh)
        self.offsets = np.cumsum([0] + [mo.z.shape[1] for mo in self.months])
        z_all = np.concatenate([mo.z for mo in self.months], axis=1)
        self.a = self.year_basis @ z_all  # (ρ, K)
        if self.a.size:
            _, s, vt = np.linalg.svd(self.a, full_matrices=False)
            self.q = vt[: _rank(s, n)].T  # (K, r): the row space of A
            self.a_pinv = np.linalg.pinv(self.a.T, rcond=_TOL)  # (ρ, K)
        else:
            self.q = np.zeros((int(self.offsets[-1]), 0))
            self.a_pinv = np.zeros((self.year_basis.shape[0], int(self.offsets[-1])))

    def _vector(self, cell: tuple[int, int, int]) -> np.ndarray:
        """The target's vector in the coordinates of the months' free directions."""
        row = self.members[self.row_of[(cell[0], cell[1])]]
        out = np.zeros(int(self.offsets[-1]))
        for m, month in enumerate(self.months):
            if cell[2] == 0 or cell[2] == m + 1:
                out[self.offsets[m] : self.offsets[m + 1]] = month.z.T @ row
        return out

    def determined(self) -> list[tuple[int, int, int]]:
        """Hidden cells of the component (year or month) that the published cells give."""
        cn = np.repeat(self.cell_node, 13)
        cg = np.repeat(self.cell_age, 13)
        ct = np.tile(np.arange(13), len(self.cell_node))
        touches = np.repeat(self.members.any(axis=1), 13)
        wanted = np.flatnonzero(self.hidden[cn, cg, ct] & touches)
        if wanted.size == 0:
            return []
        rows = self.members[wanted // 13]  # (targets, n)
        times = ct[wanted]
        vectors = np.zeros((int(self.offsets[-1]), len(wanted)))
        for m, month in enumerate(self.months):
            sel = (times == 0) | (times == m + 1)
            if month.z.shape[1] and sel.any():
                vectors[self.offsets[m] : self.offsets[m + 1], sel] = month.z.T @ rows[sel].T
        norm = np.sum(vectors**2, axis=0)
        residual = norm - np.sum((self.q.T @ vectors) ** 2, axis=0)
        found = np.flatnonzero(residual <= _EPS * np.maximum(1.0, norm))
        return [(int(cn[wanted[i]]), int(cg[wanted[i]]), int(ct[wanted[i]])) for i in found]

    def complement(
        self,
        cell: tuple[int, int, int],
        values: np.ndarray,
        taken: np.ndarray,
        *,
        zeros_first: bool = False,
    ) -> tuple[int, int, int] | None:
        """The month cell to hide so that the combination giving `cell` breaks: among the
        month cells that enter it (published equations with a non-zero coefficient, shown
        leaves with a non-zero weight), the smallest non-zero value, else the smallest zero;
        None when no month cell enters (the year's cells alone give it)."""
        row = self.members[self.row_of[(cell[0], cell[1])]]
        w = self.year_basis.T @ (self.a_pinv @ self._vector(cell))  # the year's part
        options: list[tuple[int, int, int]] = []
        for m, month in enumerate(self.months):
            part = w - row if cell[2] in (0, m + 1) else w
            if np.abs(part).max(initial=0.0) <= _EPS:
                continue
            residual = part
            if month.s.size:
                coef = month.u @ ((month.vt @ part[month.hidden]) / month.s)
                for i in np.flatnonzero(np.abs(coef) > _EPS):
                    options.append((int(month.rows[i, 0]), int(month.rows[i, 1]), m + 1))
                # shown leaves enter with what the equations leave of their weight
                rows = [self.row_of[(int(a), int(g))] for a, g in month.rows]
                residual = part - coef @ self.members[rows]
            known = ~month.hidden & (np.abs(residual) > _EPS)
            for i in np.flatnonzero(known):
                options.append((int(self.leaf_node[i]), int(self.leaf_age[i]), m + 1))
        options = [o for o in options if not taken[o]]
        if not options:
            return None
        if zeros_first:  # a cell the year and the zeros give: only a hidden zero protects it
            return min(options, key=lambda c: (int(values[c]) != 0, int(values[c]), c))
        return min(options, key=lambda c: (int(values[c]) == 0, int(values[c]), c))
