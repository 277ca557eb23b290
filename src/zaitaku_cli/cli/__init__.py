"""The `zaitaku` command line: one module per command group over the shared options of `common`.

Each command parses its options, calls one core function and renders the result; the core lives
in the modules beside this package. `main` is the console-script entry point.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from zaitaku_cli import __version__
from zaitaku_cli.cli import aggregate, analysis, ingest, interrupts, operations, reference, report
from zaitaku_cli.cli.common import EXIT_CODES_HELP
from zaitaku_cli.cli.localize import localize
from zaitaku_cli.console import Output, tolerate_narrow_consoles
from zaitaku_cli.i18n import t, unknown_setting

app = typer.Typer(
    name="zaitaku",
    help=(
        "在宅医療 (home care) supply and demand per municipality, 二次医療圏 and prefecture.\n\n"
        "Typical run: `zaitaku ingest 名簿.xlsx kdb.csv` (each file recognised by its content), "
        "then `zaitaku aggregate --by municipality`, `zaitaku project --by secondary-area` and "
        "`zaitaku supply --by secondary-area`; every night: `zaitaku refresh` with a "
        "zaitaku.toml. "
        "Claims figures cover 国保 and 後期高齢者 only (KDB).\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
)
app.add_typer(ingest.ingest_app, name="ingest")
app.command("aggregate")(aggregate.aggregate_cmd)
app.command("project")(analysis.project_cmd)
app.command("supply")(analysis.supply_cmd)
app.command("candidates")(analysis.candidates_cmd)
app.add_typer(reference.reference_app, name="reference")
app.add_typer(reference.demo_app, name="demo")
app.command("refresh")(operations.refresh_cmd)
app.command("runs")(operations.runs_cmd)
app.command("status")(operations.status_cmd)
app.command("remove")(operations.remove_cmd)
app.command("report")(report.report_cmd)


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        typer.echo(f"zaitaku {__version__}")
        raise typer.Exit(0)


# Help texts in the run's language: Typer reads them when the command is built, after this.
localize(app)


def main() -> None:
    tolerate_narrow_consoles()
    interrupts.install()
    setting = unknown_setting()
    if setting is not None:
        Output().warn(
            t(
                "ZAITAKU_LANG={value!r} names no language zaitaku speaks (ja, en): "
                "the locale decides",
                value=setting,
            )
        )
    try:
        app()
    except interrupts.Interrupted as exc:
        # A signal outside a command's own handling (while options are parsed, or after).
        Output().interrupted(interrupts.message(exc.signum))
        sys.exit(exc.exit_code)
    finally:
        # The command is over and has said so. Python's teardown (~0.15 s after a large ingest)
        # resets the handlers: a signal then would end the process silently, by the signal.
        # Held back instead, it dies with the process, which exits as the command did.
        interrupts.hold_back()


__all__ = ["app", "main"]
