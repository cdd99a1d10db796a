"""Live performance from ground truth, bounded memory, and alert delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kiwerk.core.monitor.live import (
    AlertDispatcher,
    AlertParams,
    DriftMonitor,
    LiveMonitorParams,
    PerformanceMonitor,
    PerformanceParams,
    window_metrics,
)


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(url, bodies) of a local webhook receiver on 127.0.0.1."""
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def _outputs(ai4i: pd.DataFrame) -> pd.DataFrame:
    """A naive decision (torque above 60 Nm) as the model's output table."""
    torque = ai4i["Torque [Nm]"].to_numpy()
    return pd.DataFrame({"score": torque / 100.0, "failure": (torque > 60).astype(int)})


def test_labels_match_predictions_and_give_metrics(ai4i: pd.DataFrame) -> None:
    """Posted labels meet remembered decisions; window metrics equal sklearn's."""
    from sklearn.metrics import f1_score, precision_score, recall_score

    rows = ai4i.iloc[:400]
    mon = PerformanceMonitor(PerformanceParams(window_size=400))
    mon.remember("req1", 3, _outputs(rows))
    labels = rows["Machine failure"].astype(int).tolist()
    for i, label in enumerate(labels):
        assert mon.label(f"req1-{i}", label)["matched"]
    window = mon.windows()[0]
    decided = _outputs(rows)["failure"]
    assert window["metrics"]["f1"] == pytest.approx(f1_score(labels, decided))
    assert window["metrics"]["precision"] == pytest.approx(
        precision_score(labels, decided, zero_division=0.0)
    )
    assert window["metrics"]["recall"] == pytest.approx(recall_score(labels, decided))
    assert window["versions"] == [3]


def test_regression_labels_use_the_float_output() -> None:
    """Non-integral labels are compared with the first float output (MAE, RMSE)."""
    mon = PerformanceMonitor(
        PerformanceParams(window_size=2, alert_above=(("mae", 1.0),))
    )
    mon.remember("r", 1, pd.DataFrame({"rul": [100.0, 50.0], "unit": [1, 2]}))
    assert mon.label("r-0", 97.5)["output"] == "rul"
    mon.label("r-1", 52.5)
    window = mon.windows()[0]
    assert window["metrics"]["mae"] == pytest.approx(2.5)
    assert window["metrics"]["bias"] == pytest.approx(0.0)
    assert window["alerts"] == ["mae"]


@pytest.mark.parametrize(
    "pid",
    [
        "unknown-0",  # a request never seen
        "r-7",  # a row the request did not have
        "r-x",  # not a row number
        "no-dash",  # no request part at all
    ],
)
def test_unknown_prediction_ids_are_counted_not_matched(pid: str) -> None:
    """A label for an unknown id is counted as unmatched and changes no window."""
    mon = PerformanceMonitor(PerformanceParams(window_size=1))
    mon.remember("r", 1, pd.DataFrame({"failure": [1]}))
    assert not mon.label(pid, 1)["matched"]
    assert mon.state()["unmatched_labels"] == 1
    assert mon.windows() == []


def test_memory_is_bounded() -> None:
    """Remembered rows and windows stay under their bounds; the oldest go first."""
    mon = PerformanceMonitor(
        PerformanceParams(window_size=1, max_windows=5, max_remembered=1000)
    )
    for r in range(50):
        mon.remember(f"r{r}", 1, pd.DataFrame({"failure": np.ones(100, dtype=int)}))
        mon.label(f"r{r}-0", 1)
    assert mon.state()["remembered_rows"] <= 1000
    assert len(mon.windows()) == 5
    assert not mon.label("r0-1", 1)["matched"]  # forgotten
    assert mon.label("r49-1", 1)["matched"]


def test_window_metrics_of_classes_and_text() -> None:
    """Text labels give accuracy only; 0/1 labels with a positive add F1."""
    text = window_metrics(["HDF", "none", "PWF"], ["HDF", "OSF", "PWF"])
    assert text == {"accuracy": pytest.approx(2 / 3)}
    assert window_metrics([0, 0], [0, 0]) == {"accuracy": 1.0}  # F1 undefined
    missed = window_metrics([0, 0], [1, 0])
    assert missed["f1"] == 0.0
    assert missed["accuracy"] == 0.5


def test_drift_alert_reaches_webhook_once(
    ai4i: pd.DataFrame, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    """A shifted torque raises one webhook alert; repeats are suppressed, a
    recurrence after a clean window alerts again."""
    url, received = webhook
    mon = DriftMonitor(LiveMonitorParams(reference_size=500, window_size=250))
    rows = ai4i[["Torque [Nm]", "Tool wear [min]"]].iloc[:2000].reset_index(drop=True)
    out = pd.DataFrame({"p": np.zeros(len(rows))})
    mon.update(rows.iloc[:500], out.iloc[:500])
    shifted = rows.iloc[500:1000].assign(**{"Torque [Nm]": rows["Torque [Nm]"] + 15})
    mon.update(shifted, out.iloc[500:1000])
    mon.update(rows.iloc[1000:1250], out.iloc[1000:1250])
    mon.update(shifted.iloc[:250], out.iloc[:250])
    dispatcher = AlertDispatcher(AlertParams(webhook_url=url))
    sent = [dispatcher.dispatch("m", 1, "drift", w) for w in mon.windows()]
    torque = [[e for e in events if e["name"] == "Torque [Nm]"] for events in sent]
    assert [len(t) for t in torque] == [1, 0, 0, 1]
    assert dispatcher.suppressed >= 1
    hooked = [b for b in received if b["name"] == "Torque [Nm]"]
    assert len(hooked) == 2
    assert hooked[0]["value"]["psi"] >= 0.2


def test_broken_webhook_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    """An unreachable webhook counts a failure and logs it; dispatch returns."""
    dispatcher = AlertDispatcher(AlertParams(webhook_url="http://127.0.0.1:9/x"))
    events = dispatcher.dispatch(
        "m", 1, "performance", {"alerts": ["f1"], "metrics": {"f1": 0.1}}
    )
    assert len(events) == 1
    assert dispatcher.failed == 1
    assert "webhook" in caplog.text


def test_alert_params_refuse_bad_urls() -> None:
    """A webhook that is not http(s) is refused early."""
    with pytest.raises(ValueError, match="http"):
        AlertParams(webhook_url="file:///etc/passwd")


def test_alert_reaches_mqtt_topic(broker: Any) -> None:
    """An alert event is published on the configured MQTT topic."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    got: list[dict[str, Any]] = []
    ready = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)

    def on_connect(c: mqtt.Client, *_: Any) -> None:
        c.subscribe("plant/alerts", 1)
        ready.set()

    client.on_connect = on_connect
    client.on_message = lambda c, u, m: got.append(json.loads(m.payload))
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    assert ready.wait(10)
    import time

    time.sleep(0.3)
    params = AlertParams(
        mqtt_host="127.0.0.1", mqtt_port=broker.port, mqtt_topic="plant/alerts"
    )
    AlertDispatcher(params).dispatch(
        "m", 2, "performance", {"alerts": ["f1"], "metrics": {"f1": 0.2}}
    )
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    client.loop_stop()
    assert got
    assert got[0]["name"] == "f1"
    assert got[0]["value"] == 0.2
