"""The suppression pattern of the claims cells of every level at once (complementary suppression).

Input: the long table of primary suppression (sql/intermediate/int_claim_primary.sql: every
non-zero cell of every level and both plans, with is_primary) and the unit → area map of every
level (int_claim_unit_area_ids). Output: the hidden cells, as rows the marts join.

The hierarchy: every area of every level is a set of base units (municipalities, 特別区, 政令市
wards and city codes, one unknown unit per prefecture); the ward level has one unit per area, so
its areas are the leaves. Areas with the same units (矢巾町 at ward and municipality level, a
二次医療圏 that is the same in both plans) are one node, hidden or shown together. Equations
parent = sum of children come from every pair of levels that nest (municipality ⊃ ward,
二次医療圏 ⊃ ward and municipality, prefecture ⊃ all), and total = sum of the age groups. One
block is one (indicator, basis, unit, period): fiscal years and months are separate blocks (see
README, "Disclosure control": months are not linked to their fiscal year).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import polars as pl
import pyarrow as pa

from zaitaku_cli.suppression import Dimension, age_dimension, protect_block, single_dimension

__all__ = ["AreaHierarchy", "hidden_cells"]

# int_claim_unit_areas.level_id: 1 ward (the leaves), 2 municipality, 3/4 二次医療圏 8th/7th,
# 5 prefecture. Pairs (coarse, fine) whose nesting gives equations.
_LEAF_LEVEL = 1
_LEVEL_PAIRS = ((2, 1), (3, 1), (3, 2), (4, 1), (4, 2), (5, 1), (5, 2), (5, 3), (5, 4))
# age_group_id → position on the age dimension (0 total, then the groups)
_AGE_POSITION = {0: 0, 1: 1, 2: 2, 3: 3, 9: 4}
_TIME = single_dimension()
_AGE_IDS = np.array([0, 1, 2, 3, 9], dtype=np.int64)  # position → age_group_id

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
    keys = pl.DataFrame(
        {
            "level_id": [k[0] for k in hierarchy.node_of],
            "area_id": [k[1] for k in hierarchy.node_of],
            "node": list(hierarchy.node_of.values()),
        },
        schema={"level_id": pl.Int64, "area_id": pl.Int64, "node": pl.Int64},
    )
    cells = primary.with_columns(
        pl.col("level_id").cast(pl.Int64), pl.col("area_id").cast(pl.Int64)
    ).join(keys, on=["level_id", "area_id"])
    # one row per node: areas with the same units have the same value
    nodes = cells.unique(
        ["indicator_id", "basis", "unit", "period_id", "node", "age_group_id"], keep="first"
    ).with_columns(pl.col("age_group_id").replace_strict(_AGE_POSITION).alias("age_pos"))
    ages = age_dimension()
    hidden_parts: list[pl.DataFrame] = []
    for key, block in nodes.partition_by(
        ["indicator_id", "basis", "unit", "period_id"], as_dict=True, maintain_order=True
    ).items():
        if not block["is_primary"].any():
            continue
        present = np.unique(block["node"].to_numpy())
        area = hierarchy.dimension(present)
        row = np.searchsorted(present, block["node"].to_numpy())
        age = block["age_pos"].to_numpy()
        values = np.zeros((len(present), ages.size, 1), dtype=np.int64)
        primary_mask = np.zeros(values.shape, dtype=bool)
        values[row, age, 0] = block["value"].to_numpy()
        primary_mask[row, age, 0] = block["is_primary"].to_numpy()
        hidden = protect_block(values, primary_mask, (area, ages, _TIME))
        hn, ha, _ = np.nonzero(hidden)
        if len(hn) == 0:
            continue
        indicator_id, basis, unit, period_id = key
        hidden_parts.append(
            pl.DataFrame(
                {
                    "node": present[hn],
                    "age_group_id": _AGE_IDS[ha],
                }
            ).with_columns(
                pl.lit(indicator_id).cast(pl.Int64).alias("indicator_id"),
                pl.lit(basis).alias("basis"),
                pl.lit(unit).alias("unit"),
                pl.lit(period_id).cast(pl.Int64).alias("period_id"),
            )
        )
    if not hidden_parts:
        return HIDDEN_SCHEMA.empty_table()
    hidden_nodes = pl.concat(hidden_parts)
    out = (
        hidden_nodes.join(keys, on="node")
        .select(
            pl.col("period_id").cast(pl.Int64),
            pl.col("level_id").cast(pl.Int32),
            pl.col("area_id").cast(pl.Int64),
            pl.col("indicator_id").cast(pl.Int64),
            pl.col("basis"),
            pl.col("age_group_id").cast(pl.Int32),
            pl.col("unit"),
        )
        .sort(["period_id", "level_id", "area_id", "indicator_id", "basis", "age_group_id", "unit"])
    )
    return out.to_arrow().cast(HIDDEN_SCHEMA)
