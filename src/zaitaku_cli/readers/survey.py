"""The prefecture's facility survey (訪問診療の実施可能件数, 参入意向 per facility): a CSV or an
Excel sheet, columns named as in survey_columns.toml or mapped by a --mapping TOML file.

Values come back as text with their row numbers; `ingest_survey` checks them and finds each
facility in the bureau lists.
"""

from __future__ import annotations

from pathlib import Path

from zaitaku_cli.i18n import N_
from zaitaku_cli.readers.column_mapping import TableKind

__all__ = ["INTENTIONS", "SURVEY", "detect"]

SURVEY = TableKind(
    Path(__file__).with_name("survey_columns.toml"),
    example='"受入可能患者数" = "訪問診療の実施可能件数"',
    what=N_("survey"),
)
# recognising a file by its content (readers.detect)
detect = SURVEY.detect

# the canonical 参入意向 values, in the order of the survey question
INTENTIONS = ("新規参入", "拡大", "維持", "縮小", "予定なし", "未定")
