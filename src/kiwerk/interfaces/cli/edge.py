"""``kiwerk edge run``: score an exported ONNX model on a device.

This module imports only Typer, Rich and :mod:`kiwerk.core.edge` (numpy,
onnxruntime, paho-mqtt), so it runs where no training stack is installed;
there it is also the ``kiwerk-edge`` command.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.markup import escape

from kiwerk.core.edge import EdgeRunner, MqttParams, serve_mqtt
from kiwerk.errors import ConfigError, KiwerkError

app = typer.Typer(
    help="Score exported ONNX models (edge devices).", no_args_is_help=True
)
err_console = Console(stderr=True)


@app.callback()
def edge() -> None:
    """Score exported ONNX models with onnxruntime alone (no training stack)."""


def _write(records: list[dict[str, Any]], out: Path | None) -> None:
    if out is None:
        for record in records:
            sys.stdout.write(json.dumps(record) + "\n")
        return
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(records[0]) if records else []
            )
            writer.writeheader()
            writer.writerows(records)
        return
    out.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


@app.command("run")
def run(
    model: Annotated[Path, typer.Argument(help="The .onnx file from `models export`.")],
    input_file: Annotated[
        Path | None, typer.Option("--input", "-i", help="CSV or JSON-lines rows.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write predictions (.csv or .jsonl)."),
    ] = None,
    mqtt_topic: Annotated[
        str | None, typer.Option("--mqtt-topic", help="Score rows from this topic.")
    ] = None,
    mqtt_host: Annotated[str, typer.Option(help="MQTT broker host.")] = "127.0.0.1",
    mqtt_port: Annotated[int, typer.Option(help="MQTT broker port.")] = 1883,
    out_topic: Annotated[
        str | None, typer.Option(help="Answer topic; default <topic>/predictions.")
    ] = None,
    max_messages: Annotated[
        int | None, typer.Option(help="Stop after this many MQTT messages.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(help="Stop after this many idle seconds.")
    ] = None,
    threads: Annotated[int, typer.Option(help="onnxruntime threads.")] = 1,
) -> None:
    """Score rows from a file (--input) or an MQTT topic (--mqtt-topic)."""
    if (input_file is None) == (mqtt_topic is None):
        raise ConfigError("give exactly one of --input and --mqtt-topic")
    runner = EdgeRunner(model, threads=threads)
    if input_file is not None:
        records = list(runner.score_file(input_file))
        _write(records, out)
        err_console.print(f"scored {len(records)} rows with {model.name}")
        return
    assert mqtt_topic is not None
    params = MqttParams(
        host=mqtt_host,
        port=mqtt_port,
        topic=mqtt_topic,
        out_topic=out_topic,
        max_messages=max_messages,
        timeout_s=timeout,
    )
    err_console.print(f"listening on {mqtt_topic}, answering on {params.answer_topic}")
    done = serve_mqtt(runner, params)
    err_console.print(f"scored {done} messages")


def main() -> None:
    """Entry point of ``kiwerk-edge``: kiwerk errors become clean exits."""
    try:
        app(standalone_mode=False)
    except KiwerkError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except (click.ClickException, typer.TyperException) as exc:
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        sys.exit(int(getattr(exc, "exit_code", 2)))


if __name__ == "__main__":
    main()
