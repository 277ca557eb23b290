"""Complementary suppression on random hierarchical tables: the attacker recovers nothing.

Each table: municipalities (the leaves) grouped into areas in two ways (two plans), a
prefecture, and the age groups with their total; values are random leaf counts added up, so
every equation parent = sum of children holds exactly. tests/disclosure_attack.py solves for
every hidden cell from the shown ones.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disclosure_attack import recovered
from factories.hierarchies import two_plan_areas
from zaitaku_cli.suppression import (
    Dimension,
    age_dimension,
    protect_block,
    recoverable,
    single_dimension,
)


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, Dimension]:
    area = draw(two_plan_areas(7))
    members = area.members
    n_nodes, n_leaves = members.shape
    small = st.one_of(st.integers(0, 12), st.integers(0, 60))
    leaf_values = np.array(
        draw(st.lists(small, min_size=n_leaves * 4, max_size=n_leaves * 4)), dtype=np.int64
    ).reshape(n_leaves, 4)
    # every node's age groups, then the totals: all sums of leaf cells
    values = np.zeros((n_nodes, 5, 1), dtype=np.int64)
    values[:, 1:, 0] = members.astype(np.int64) @ leaf_values
    values[:, 0, 0] = values[:, 1:, 0].sum(axis=1)
    return values, area


def attack(values: np.ndarray, hidden: np.ndarray, area: Dimension) -> set[object]:
    cells = {
        (n, g): (None if hidden[n, g, 0] else int(values[n, g, 0]))
        for n in range(values.shape[0])
        for g in range(5)
        if values[n, g, 0] > 0
    }
    equations = [
        ((parent, g), [(k, g) for k in kids]) for parent, kids in area.equations for g in range(5)
    ]
    equations += [((n, 0), [(n, g) for g in range(1, 5)]) for n in range(values.shape[0])]
    return recovered(cells, equations)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_hidden_cell_is_recoverable(table: tuple[np.ndarray, Dimension]) -> None:
    values, area = table
    dims = (area, age_dimension(), single_dimension())
    primary = (values >= 1) & (values <= 9)
    hidden = protect_block(values, primary, dims)
    assert (hidden >= primary).all()  # every 1–9 cell is hidden
    assert not hidden[values == 0].any()  # 0 stays 0
    assert attack(values, hidden, area) == set()
    assert not recoverable(values, hidden, dims).any()
    # deterministic: the same table gives the same pattern
    assert (protect_block(values, primary, dims) == hidden).all()


def test_the_one_hidden_municipality_of_a_prefecture_gets_a_partner() -> None:
    # 3 municipalities, one area, one age group: 4 + 15 + 20 = 39. Alone, the 4 would be
    # 39 - 15 - 20; the smallest shown cell of the equation (15) is hidden with it.
    members = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=bool)
    area = Dimension(members=members, leaf_of=np.arange(3), equations=((3, (0, 1, 2)),))
    values = np.zeros((4, 5, 1), dtype=np.int64)
    values[:, 3, 0] = [4, 15, 20, 39]  # 75plus
    values[:, 0, 0] = values[:, 3, 0]  # total = 75plus
    primary = (values >= 1) & (values <= 9)
    hidden = protect_block(values, primary, (area, age_dimension(), single_dimension()))
    # the 4 and its total (equal: the other groups are 0), and 15 with its total
    assert {(int(n), int(g)) for n, g, _ in zip(*np.nonzero(hidden), strict=True)} == {
        (0, 0),
        (0, 3),
        (1, 0),
        (1, 3),
    }
