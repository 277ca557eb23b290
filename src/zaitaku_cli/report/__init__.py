"""The analysts' report: one offline HTML page per prefecture, with tables and charts of the
warehouse's published figures (suppression applied), and each chart as a PNG for slides.

data.py gets the tables, sections.py turns them into tables and charts (charts.py), build.py
renders templates/report.html.j2 and writes the files.
"""

from zaitaku_cli.report.build import ReportResult, write_report

__all__ = ["ReportResult", "write_report"]
