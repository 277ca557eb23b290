"""Months inside their fiscal year (suppression_months.py): with the fiscal-year file and the
month files both published, the attacker recovers no hidden cell of either, on random tables.

Each table: municipalities (the leaves) grouped into areas in two ways (two plans), a
prefecture, the age groups with their total, and twelve months with their fiscal year; leaf
counts are random and sparse (most leaves active in a few months), every other cell is a sum
of leaf cells, so every equation parent = sum of children holds exactly.
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
    single_dimension,
)
from zaitaku_cli.suppression_months import protect_months


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, Dimension]:
    area = draw(two_plan_areas(6))
    members = area.members
    n_nodes, n_leaves = members.shape
    # sparse activity: a leaf cell is active in a few months, with small or large counts
    active = st.one_of(st.just(0), st.just(0), st.integers(1, 12), st.integers(0, 40))
    leaf_values = np.array(
        draw(st.lists(active, min_size=n_leaves * 4 * 12, max_size=n_leaves * 4 * 12)),
        dtype=np.int64,
    ).reshape(n_leaves, 4, 12)
    values = np.zeros((n_nodes, 5, 13), dtype=np.int64)
    values[:, 1:, 1:] = np.einsum("nl,lgm->ngm", members.astype(np.int64), leaf_values)
    values[:, 0, :] = values[:, 1:, :].sum(axis=1)
    values[:, :, 0] = values[:, :, 1:].sum(axis=2)
    return values, area


def attack(values: np.ndarray, hidden: np.ndarray, area: Dimension) -> set[object]:
    """Every published cell of the year and the months; equations per period (areas, ages)
    and year = sum of months for every area and age group."""
    nodes = values.shape[0]
    cells = {
        (n, g, t): (None if hidden[n, g, t] else int(values[n, g, t]))
        for n in range(nodes)
        for g in range(5)
        for t in range(13)
        if values[n, g, t] > 0 or hidden[n, g, t]
    }
    equations = []
    for t in range(13):
        equations += [
            ((parent, g, t), [(k, g, t) for k in kids])
            for parent, kids in area.equations
            for g in range(5)
        ]
        equations += [((n, 0, t), [(n, g, t) for g in range(1, 5)]) for n in range(nodes)]
    equations += [
        ((n, g, 0), [(n, g, t) for t in range(1, 13)]) for n in range(nodes) for g in range(5)
    ]
    return recovered(cells, equations)


def year_pattern(values: np.ndarray, area: Dimension) -> np.ndarray:
    year = values[..., :1]
    return protect_block(
        year, (year >= 1) & (year <= 9), (area, age_dimension(), single_dimension())
    )[..., 0]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_hidden_cell_of_the_year_or_its_months_is_recoverable(
    table: tuple[np.ndarray, Dimension],
) -> None:
    values, area = table
    year_hidden = year_pattern(values, area)
    months = values[..., 1:]
    primary = (months >= 1) & (months <= 9)
    hidden = protect_months(values, year_hidden, primary, area, age_dimension())
    assert (hidden[..., 0] == year_hidden).all()  # the year's published pattern is kept
    assert hidden[..., 1:][primary].all()  # every 1–9 month cell is hidden
    assert attack(values, hidden, area) == set()
    again = protect_months(values, year_hidden, primary, area, age_dimension())
    assert (again == hidden).all()  # deterministic


def test_a_month_alone_in_its_year_is_hidden_with_another() -> None:
    # One municipality (and its prefecture), 75plus only: 30 in April, 4 in May, 0 otherwise.
    # The year (34) is published; May's 4 is primary; year − April would give it back, so
    # April is hidden too (the only other non-zero month).
    members = np.array([[1], [1]], dtype=bool)
    area = Dimension(members=members, leaf_of=np.array([0]), equations=((1, (0,)),))
    values = np.zeros((2, 5, 13), dtype=np.int64)
    values[:, 3, 1] = 30
    values[:, 3, 2] = 4
    values[:, 0, :] = values[:, 3, :]
    values[:, :, 0] = values[:, :, 1:].sum(axis=2)
    year_hidden = year_pattern(values, area)
    assert not year_hidden.any()
    primary = (values[..., 1:] >= 1) & (values[..., 1:] <= 9)
    hidden = protect_months(values, year_hidden, primary, area, age_dimension())
    assert {tuple(int(i) for i in c) for c in zip(*np.nonzero(hidden), strict=True)} == {
        (n, g, t) for n in (0, 1) for g in (0, 3) for t in (1, 2)
    }
    assert attack(values, hidden, area) == set()


def test_a_month_the_year_and_the_zeros_give_is_protected_by_hiding_a_zero() -> None:
    """City A = wards W1 + W2 + W3, 75plus only. W1 (3) and W2 (4) are active in April only,
    W3 in May … March (20, 21, …, 30), not in April.

    Year: W1 3 and W2 4 are hidden (1–9); A 282 and W3 275 are shown, so W1 + W2 = 7 is
    known, which the year's pattern allows (neither alone). April: A = W1 + W2 = 7 (W3 is 0),
    hidden (1–9), but A(April) = A(year) − W3(year) − the zeros of W1 and W2 in the other
    months: no month cell but zeros enters, so hiding non-zero month cells cannot protect it.
    A zero of W1 or W2 in another month is hidden instead (the first, May, by position).
    """
    members = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=bool)
    area = Dimension(members=members, leaf_of=np.arange(3), equations=((3, (0, 1, 2)),))
    leaf = np.zeros((3, 12), dtype=np.int64)
    leaf[0, 0], leaf[1, 0] = 3, 4
    leaf[2, 1:] = np.arange(20, 31)
    values = np.zeros((4, 5, 13), dtype=np.int64)
    values[:3, 3, 1:] = leaf
    values[3, 3, 1:] = leaf.sum(axis=0)
    values[:, 0, :] = values[:, 3, :]
    values[:, :, 0] = values[:, :, 1:].sum(axis=2)
    year_hidden = year_pattern(values, area)
    assert {tuple(int(i) for i in c) for c in np.argwhere(year_hidden)} == {
        (0, 0),
        (0, 3),
        (1, 0),
        (1, 3),
    }
    primary = (values[..., 1:] >= 1) & (values[..., 1:] <= 9)
    hidden = protect_months(values, year_hidden, primary, area, age_dimension())
    assert hidden[3, 3, 1] and hidden[3, 0, 1]  # A in April
    # W1's zero in May (total and 75plus): the only zeros hidden
    assert {tuple(int(i) for i in c) for c in np.argwhere(hidden & (values == 0))} == {
        (0, 0, 2),
        (0, 3, 2),
    }
    assert attack(values, hidden, area) == set()
