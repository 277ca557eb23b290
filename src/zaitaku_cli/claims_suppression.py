"""The suppression pattern of the claims cells of every level at once (complementary suppression).

Input: the long table of primary suppression (sql/intermediate/int_claim_primary.sql: every
non-zero cell of every level and both plans, with is_primary) and the unit → area map of every
level (int_claim_unit_area_ids). Output: the hidden cells, as rows the marts join.

The hierarchy: every area of every level is a set of base units (municipalities, 特別区, 政令市
wards and city codes, one unknown unit per prefecture); the ward level has one unit per area, so
its areas are the leaves. Areas with the same units (矢巾町 at ward and municipality level, a
二次医療圏 that is the same in both plans) are one node, hidden or shown together. Equations
parent = sum of children come from every pair of levels that nest (municipality ⊃ ward,
二次医療圏 ⊃ ward and municipality, prefecture ⊃ all), and total = sum of the age groups.

Fiscal years (hidden_cells): one block is one (indicator, basis, unit, fiscal year). Months
(hidden_month_cells): one block is one (indicator, basis, unit, fiscal year) with its twelve
months, protected under the year's pattern as published (a year = the sum of its months,
suppression_months.py), so that the month files and the fiscal-year files can be put together;
the year's pattern never depends on the months.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl
import pyarrow as pa

from zaitaku_cli.suppression import Dimension, age_dimension, protect_block, single_dimension
from zaitaku_cli.suppression_months import protect_months

__all__ = ["AreaHierarchy", "hidden_cells", "hidden_month_cells"]

# int_claim_unit_areas.level_id: 1 ward (the leaves), 2 municipality, 3/4 二次医療圏 8th/7th,
# 5 prefecture. Pairs (coarse, fine) whose nesting gives equations.
_LEAF_LEVEL = 1
_LEVEL_PAIRS = ((2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (5, 1), (5, 2), (5, 3), (5, 4))
# age_group_id → position on the age dimension (0 total, then the groups)
_AGE_POSITION = {0: 0, 1: 1, 2: 2, 3: 3, 9: 4}
_TIME = single_dimension()
_AGE_IDS = np.array([0, 1, 2, 3, 9], dtype=np.int64)  # position → age_group_id
# one block: the cells of one indicator, basis, unit and period
_BLOCK = ["indicator_id", "basis", "unit", "period_id"]
# with months linked to their year: one indicator, basis, unit and fiscal year
_YEAR_BLOCK = ["indicator_id", "basis", "unit", "year_period_id"]

HIDDEN_SCHEMA = pa.schema(
    [
        ("period_id", pa.int64()),
        ("level_id", pa.int32()),
        ("area_id", pa.int64()),
        ("indicator_id", pa.int64()),
        ("basis", pa.string()),
        ("age_group_id", pa.int32()),
        ("unit", pa.string()),
    ]
)


class AreaHierarchy:
    """Nodes (distinct unit sets) of all levels, their leaves and the nesting equations."""

    def __init__(self, unit_areas: pl.DataFrame):
        frame = unit_areas.select(
            pl.col("level_id").cast(pl.Int64),
            pl.col("area_id").cast(pl.Int64),
            pl.col("unit_id").cast(pl.Int64),
        )
        units = sorted(set(frame["unit_id"].to_list()))
        unit_pos = {u: i for i, u in enumerate(units)}
        sets: dict[tuple[int, int], list[int]] = defaultdict(list)
        for level, area, unit in frame.sort("level_id", "area_id", "unit_id").iter_rows():
            sets[(level, area)].append(unit)
        node_ids: dict[tuple[int, ...], int] = {}
        self.node_of: dict[tuple[int, int], int] = {}
        for key in sorted(sets):
            self.node_of[key] = node_ids.setdefault(tuple(sets[key]), len(node_ids))
        self.size = len(node_ids)
        self.members = np.zeros((self.size, len(units)), dtype=bool)
        for unit_set, node in node_ids.items():
            self.members[node, [unit_pos[u] for u in unit_set]] = True
        # a leaf: a ward-level area, i.e. one unit; leaf_unit[node] = its unit position
        self.leaf_unit = np.full(self.size, -1, dtype=np.int64)
        for (level, _), node in self.node_of.items():
            if level == _LEAF_LEVEL:
                self.leaf_unit[node] = int(np.flatnonzero(self.members[node])[0])
        self.equations = self._equations(frame)

    def _equations(self, frame: pl.DataFrame) -> list[tuple[int, tuple[int, ...]]]:
        area_of: dict[int, dict[int, int]] = defaultdict(dict)
        for level, area, unit in frame.iter_rows():
            area_of[level][unit] = area
        found: set[tuple[int, tuple[int, ...]]] = set()
        for coarse, fine in _LEVEL_PAIRS:
            children: dict[int, set[int]] = defaultdict(set)
            parents_of_fine: dict[int, set[int]] = defaultdict(set)
            for unit, fine_area in area_of[fine].items():
                coarse_area = area_of[coarse][unit]
                children[coarse_area].add(fine_area)
                parents_of_fine[fine_area].add(coarse_area)
            for coarse_area, fine_areas in children.items():
                # parent = sum of children only if every child lies wholly inside the parent
                if any(len(parents_of_fine[f]) > 1 for f in fine_areas):
                    continue
                parent = self.node_of[(coarse, coarse_area)]
                kids = tuple(sorted({self.node_of[(fine, f)] for f in fine_areas}))
                if kids != (parent,):
                    found.add((parent, kids))
        return sorted(found)

    def keys(self) -> pl.DataFrame:
        """(level_id, area_id) → node."""
        return pl.DataFrame(
            {
                "level_id": [k[0] for k in self.node_of],
                "area_id": [k[1] for k in self.node_of],
                "node": list(self.node_of.values()),
            },
            schema={"level_id": pl.Int64, "area_id": pl.Int64, "node": pl.Int64},
        )

    def dimension(self, present: np.ndarray) -> Dimension:
        """The area dimension of a block restricted to its non-zero nodes (sorted ids)."""
        position = np.full(self.size, -1, dtype=np.int64)
        position[present] = np.arange(len(present))
        leaves = present[self.leaf_unit[present] >= 0]
        members = self.members[present][:, self.leaf_unit[leaves]]
        equations = []
        for parent, kids in self.equations:
            if position[parent] < 0:
                continue
            inside = tuple(int(position[k]) for k in kids if position[k] >= 0)
            if inside:
                equations.append((int(position[parent]), inside))
        return Dimension(members=members, leaf_of=position[leaves], equations=tuple(equations))


def hidden_cells(primary: pl.DataFrame, unit_areas: pl.DataFrame) -> pa.Table:
    """The cells to hide (every level, both plans): primary cells and their complements.

    primary: int_claim_primary; unit_areas: int_claim_unit_area_ids. Deterministic.
    """
    hierarchy = AreaHierarchy(unit_areas)
    if primary.is_empty():
        return HIDDEN_SCHEMA.empty_table()
    keys = hierarchy.keys()
    cells = primary.with_columns(
        pl.col("level_id").cast(pl.Int64), pl.col("area_id").cast(pl.Int64)
    ).join(keys, on=["level_id", "area_id"])
    # one row per node: areas with the same units have the same value
    nodes = cells.unique([*_BLOCK, "node", "age_group_id"], keep="first").with_columns(
        pl.col("age_group_id").replace_strict(_AGE_POSITION).alias("age_pos")
    )
    # Blocks without a primary cell have nothing to protect: they are never looked at. The
    # others are cut out of one sorted frame as numpy slices (a polars frame per block costs
    # more than the solver on the small blocks that most are).
    blocks = _numbered_blocks(nodes, _BLOCK)
    if blocks.is_empty():
        return HIDDEN_SCHEMA.empty_table()
    nodes = nodes.join(blocks, on=_BLOCK).sort("block", "node", "age_pos")
    block = nodes["block"].to_numpy()
    node = nodes["node"].to_numpy()
    age = nodes["age_pos"].to_numpy()
    value = nodes["value"].to_numpy()
    is_primary = nodes["is_primary"].to_numpy()
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]
    ages = age_dimension()
    found_block: list[np.ndarray] = []
    found_node: list[np.ndarray] = []
    found_age: list[np.ndarray] = []
    for start, end in zip(starts, ends, strict=True):
        present, row = np.unique(node[start:end], return_inverse=True)
        values = np.zeros((len(present), ages.size, 1), dtype=np.int64)
        primary_mask = np.zeros(values.shape, dtype=bool)
        values[row, age[start:end], 0] = value[start:end]
        primary_mask[row, age[start:end], 0] = is_primary[start:end]
        hidden = protect_block(values, primary_mask, (hierarchy.dimension(present), ages, _TIME))
        hn, ha, _ = np.nonzero(hidden)
        found_block.append(np.full(len(hn), block[start], dtype=np.int64))
        found_node.append(present[hn])
        found_age.append(_AGE_IDS[ha])
    hidden_nodes = pl.DataFrame(
        {
            "block": np.concatenate(found_block),
            "node": np.concatenate(found_node),
            "age_group_id": np.concatenate(found_age),
        },
        schema={"block": pl.Int64, "node": pl.Int64, "age_group_id": pl.Int64},
    )
    return _hidden_rows(hidden_nodes.join(blocks, on="block").join(keys, on="node"))


def hidden_month_cells(
    primary: pl.DataFrame,
    year_cells: pl.DataFrame,
    year_hidden: pl.DataFrame,
    month_years: pl.DataFrame,
    unit_areas: pl.DataFrame,
) -> pa.Table:
    """The month cells to hide so that no hidden cell follows from the month files and the
    fiscal-year files together (suppression_months.py): months are linked to their year.

    primary: int_claim_primary of the months (of the fiscal years to protect: only their
    years are looked at); year_cells / year_hidden: int_claim_cells and
    the pattern (hidden_cells) of the fiscal years, kept as they are; month_years:
    int_claim_month_years (month period → year period and its place 1–12 in it);
    unit_areas: int_claim_unit_area_ids. Rows in HIDDEN_SCHEMA, with month period ids; a zero
    may be among them where only a zero protects a month cell. Deterministic.
    """
    hierarchy = AreaHierarchy(unit_areas)
    if primary.is_empty():
        return HIDDEN_SCHEMA.empty_table()
    keys = hierarchy.keys()
    places = month_years.select(
        pl.col("period_id").cast(pl.Int64),
        pl.col("year_period_id").cast(pl.Int64),
        pl.col("position").cast(pl.Int64),
    )
    months = (
        primary.with_columns(pl.col("level_id").cast(pl.Int64), pl.col("area_id").cast(pl.Int64))
        .join(keys, on=["level_id", "area_id"])
        .join(places, on="period_id")
        .select(*_YEAR_BLOCK, "node", "age_group_id", "position", "value", "is_primary")
    )
    hidden_keys = year_hidden.select(*_BLOCK, "level_id", "area_id", "age_group_id")
    years = (
        year_cells.filter(pl.col("unit") != "facilities")
        .with_columns(pl.col("level_id").cast(pl.Int64), pl.col("area_id").cast(pl.Int64))
        .join(
            hidden_keys.with_columns(
                pl.col("level_id").cast(pl.Int64),
                pl.col("area_id").cast(pl.Int64),
                pl.lit(True).alias("is_primary"),
            ),
            on=[*_BLOCK, "level_id", "area_id", "age_group_id"],
            how="left",
        )
        .join(keys, on=["level_id", "area_id"])
        .select(
            pl.col("indicator_id"),
            pl.col("basis"),
            pl.col("unit"),
            pl.col("period_id").cast(pl.Int64).alias("year_period_id"),
            "node",
            "age_group_id",
            pl.lit(0, dtype=pl.Int64).alias("position"),
            "value",
            pl.col("is_primary").fill_null(False),  # here: hidden in the year's pattern
        )
        # the years of the months given only (a run computes the months of some years)
        .join(months.select("year_period_id").unique(), on="year_period_id", how="semi")
    )
    cells = (
        pl.concat([years, months.with_columns(pl.col("value").cast(years["value"].dtype))])
        .unique([*_YEAR_BLOCK, "node", "age_group_id", "position"], keep="first")
        .with_columns(pl.col("age_group_id").replace_strict(_AGE_POSITION).alias("age_pos"))
    )
    # a year with nothing hidden in it nor in its months has nothing to protect
    blocks = _numbered_blocks(cells, _YEAR_BLOCK)
    if blocks.is_empty():
        return HIDDEN_SCHEMA.empty_table()
    # the months the files list: those with a cell (of any indicator, basis or unit); a month
    # without any claim has no row to hide a zero in
    present = {
        (int(y), int(p))
        for y, p in months.select("year_period_id", "position").unique().iter_rows()
    }
    cells = cells.join(blocks, on=_YEAR_BLOCK).sort("block", "node", "age_pos", "position")
    block = cells["block"].to_numpy()
    node = cells["node"].to_numpy()
    age = cells["age_pos"].to_numpy()
    position = cells["position"].to_numpy()
    value = cells["value"].to_numpy()
    flagged = cells["is_primary"].to_numpy()
    year_of = blocks["year_period_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
    ends = np.r_[starts[1:], len(block)]
    ages = age_dimension()
    found: list[np.ndarray] = []
    for start, end in zip(starts, ends, strict=True):
        b = int(block[start])
        nodes, row = np.unique(node[start:end], return_inverse=True)
        values = np.zeros((len(nodes), ages.size, 13), dtype=np.int64)
        marks = np.zeros(values.shape, dtype=bool)
        values[row, age[start:end], position[start:end]] = value[start:end]
        marks[row, age[start:end], position[start:end]] = flagged[start:end]
        # zeros the month files do not list cannot be hidden: a month without any claim, and
        # the unknown age group (listed only where it has some)
        shown = np.zeros(values.shape, dtype=bool)
        for p in range(1, 13):
            if (int(year_of[b]), p) not in present:
                shown[..., p] = True
        shown[:, _AGE_POSITION[9], :] = True
        shown &= values == 0
        hidden = protect_months(
            values, marks[..., 0], marks[..., 1:], hierarchy.dimension(nodes), ages, shown
        )
        hn, ha, ht = np.nonzero(hidden[..., 1:])
        found.append(
            np.stack(
                [np.full(len(hn), b), nodes[hn], _AGE_IDS[ha], ht + 1],
                axis=1,
            ).astype(np.int64)
        )
    rows = np.concatenate(found) if found else np.zeros((0, 4), dtype=np.int64)
    hidden_nodes = pl.DataFrame(
        {
            "block": rows[:, 0],
            "node": rows[:, 1],
            "age_group_id": rows[:, 2],
            "position": rows[:, 3],
        },
        schema={
            "block": pl.Int64,
            "node": pl.Int64,
            "age_group_id": pl.Int64,
            "position": pl.Int64,
        },
    )
    return _hidden_rows(
        hidden_nodes.join(blocks, on="block")
        .join(places, on=["year_period_id", "position"])
        .join(keys, on="node")
    )


def _numbered_blocks(cells: pl.DataFrame, block: list[str]) -> pl.DataFrame:
    """The blocks (`block` columns) with a hidden cell to protect, numbered in order; the
    others have nothing to protect and are never looked at."""
    return (
        cells.group_by(block)
        .agg(pl.col("is_primary").any().alias("to_protect"))
        .filter(pl.col("to_protect"))
        .sort(block)
        .with_row_index("block")
        .with_columns(pl.col("block").cast(pl.Int64))
        .drop("to_protect")
    )


def _hidden_rows(found: pl.DataFrame) -> pa.Table:
    """Hidden cells keyed by period, level and area, as the marts join them (sorted)."""
    out = found.select(
        pl.col("period_id").cast(pl.Int64),
        pl.col("level_id").cast(pl.Int32),
        pl.col("area_id").cast(pl.Int64),
        pl.col("indicator_id").cast(pl.Int64),
        pl.col("basis"),
        pl.col("age_group_id").cast(pl.Int32),
        pl.col("unit"),
    ).sort(["period_id", "level_id", "area_id", "indicator_id", "basis", "age_group_id", "unit"])
    return out.to_arrow().cast(HIDDEN_SCHEMA)
