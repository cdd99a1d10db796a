"""Signal control in SUMO: short episodes on the smallest RESCO map, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiwerk.datasets import SumoScenario, load_resco
from kiwerk.domains.mobility import SignalParams, read_delay, run_episode
from kiwerk.domains.mobility._signal_pressure import _inside
from kiwerk.errors import DataFormatError

SHORT = SignalParams(duration_s=300, seed=1)


@pytest.fixture(scope="module")
def cologne1(data_dir: Path) -> SumoScenario:
    """The one-intersection Cologne map (smallest RESCO scenario)."""
    return load_resco(directory=data_dir / "sumo/resco")["cologne1"]


@pytest.mark.parametrize("controller", ["fixed", "max_pressure", "adaptive"])
def test_short_episode_measures_delay(cologne1: SumoScenario, controller: str) -> None:
    """Each controller runs 5 simulated minutes and yields a positive delay."""
    result = run_episode(cologne1, controller, SHORT)
    assert result.vehicles > 50
    assert 0 < result.delay_s < 300
    assert len(result.times) == 30
    assert result.times[-1] == cologne1.begin + 300
    assert len(result.waiting) == 30
    assert (result.waiting >= 0).all()


def test_unknown_controller_is_refused(cologne1: SumoScenario) -> None:
    """A controller name outside the list is a ValueError naming the choices."""
    with pytest.raises(ValueError, match="max_pressure"):
        run_episode(cologne1, "magic", SHORT)


def test_scenario_that_does_not_load_names_its_file(tmp_path: Path) -> None:
    """A malformed network file is refused; the error names that file."""
    net = tmp_path / "broken.net.xml"
    net.write_text("<net><edge id='x'")
    config = tmp_path / "broken.sumocfg"
    config.write_text(
        "<configuration><input><net-file value='broken.net.xml'/></input>"
        "</configuration>"
    )
    broken = SumoScenario(
        name="broken", config=config, net=net, routes=(), begin=0, end=60, license=""
    )
    with pytest.raises(DataFormatError, match=r"broken\.net\.xml"):
        run_episode(broken, "fixed", SignalParams(duration_s=20))


def test_tripinfo_delay_is_resco_mean(tmp_path: Path) -> None:
    """Delay = mean(timeLoss + departDelay) over every tripinfo entry."""
    path = tmp_path / "trips.xml"
    path.write_text(
        "<tripinfos><tripinfo id='a' timeLoss='10' departDelay='2'/>"
        "<tripinfo id='b' timeLoss='20' departDelay='0'/></tripinfos>"
    )
    assert read_delay(path) == (16.0, 2)
    path.write_text("<tripinfos/>")
    with pytest.raises(DataFormatError, match="no vehicle"):
        read_delay(path)


@pytest.mark.parametrize("controller", ["max_pressure", "adaptive"])
def test_pressure_controllers_beat_fixed_time_on_cologne8(
    data_dir: Path, controller: str
) -> None:
    """RESCO-style pressure (halted queues per green movement) beats the programme.

    The earlier reading (all vehicles on deduplicated lanes) lost to fixed time
    here (48.5 s vs 40.3 s over the first 15 minutes, seed 1).
    """
    scenario = load_resco(directory=data_dir / "sumo/resco")["cologne8"]
    params = SignalParams(duration_s=900, seed=1)
    fixed = run_episode(scenario, "fixed", params).delay_s
    assert run_episode(scenario, controller, params).delay_s < 0.75 * fixed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"yellow_s": 10},  # yellow as long as the decision step
        {"approach_weight": -0.1},  # negative weight of moving vehicles
        {"upstream_m": -1.0},  # negative feeder distance
        {"pending_weight": -1.0},  # negative weight of vehicles not yet inserted
        {"spillback": 0.0},  # every exit would count as backed up
        {"spillback": 1.5},  # no exit could ever count as backed up
        {"clear_s": -1},  # negative all-red clearance
    ],
)
def test_signal_params_refuse_bad_values(kwargs: dict[str, float]) -> None:
    """Impossible yellow times and negative adaptive weights are refused."""
    with pytest.raises(ValueError, match="Expected"):
        SignalParams(**kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_all_red_clearance_prevents_the_cologne3_deadlock(data_dir: Path) -> None:
    """Without clearance seed 144 deadlocks inside a junction; with it, it flows.

    Seed 144 is a tuning seed, not one of the benchmark's seeds 0-4.
    """
    scenario = load_resco(directory=data_dir / "sumo/resco")["cologne3"]
    stuck = run_episode(scenario, "adaptive", SignalParams(seed=144, clear_s=0))
    cleared = run_episode(scenario, "adaptive", SignalParams(seed=144))
    assert stuck.delay_s > 200
    assert cleared.delay_s < 30


def test_inside_lists_the_internal_lanes_of_a_signal(cologne1: SumoScenario) -> None:
    """The clearance rule watches the junction's internal lanes, and only them."""
    import libsumo as sumo  # type: ignore[import-untyped]

    sumo.start(["sumo", "-c", str(cologne1.config), "--no-warnings"])
    try:
        tls = sumo.trafficlight.getIDList()[0]
        lanes = _inside(sumo, tls)
        vias = {
            link[2]
            for links in sumo.trafficlight.getControlledLinks(tls)
            for link in links
        }
    finally:
        sumo.close()
    assert lanes
    assert all(lane.startswith(":") for lane in lanes)
    assert vias <= set(lanes)


def test_same_seed_repeats_exactly(cologne1: SumoScenario) -> None:
    """One seed gives the same delay and queues on every run in one process.

    The caller runs libsumo itself first: a forked episode inherited that
    state and diverged (41.62 vs 42.74 s), a fresh interpreter does not.
    """
    import libsumo as sumo

    for _ in range(2):
        sumo.start(["sumo", "-c", str(cologne1.config), "--no-warnings"])
        for _step in range(300):
            sumo.simulationStep()
        sumo.close()
    params = SignalParams(seed=0)
    runs = [run_episode(cologne1, "fixed", params) for _ in range(3)]
    assert len({r.delay_s for r in runs}) == 1
    assert all((r.halting == runs[0].halting).all() for r in runs)


def test_map_weights_apply_and_explicit_fields_win() -> None:
    """for_map applies a map's tuned weights; explicit fields override them."""
    assert SignalParams.for_map("cologne8") == SignalParams()
    tuned = SignalParams.for_map("cologne1", seed=7)
    assert tuned.seed == 7
    assert tuned.keep_bonus != SignalParams().keep_bonus
    assert SignalParams.for_map("cologne1", keep_bonus=0.1).keep_bonus == 0.1


@pytest.mark.slow
def test_arterial4x4_weights_beat_the_defaults_and_halve_fixed_time(
    data_dir: Path,
) -> None:
    """On the oversaturated arterial the map's weights matter (seed 1, full hour).

    With the default weight on vehicles waiting to be inserted the entry
    signals hold their entry phase: 1209 s on tuning seeds, against 644 s.
    """
    scenario = load_resco(directory=data_dir / "sumo/resco")["arterial4x4"]
    tuned = SignalParams.for_map("arterial4x4", seed=1)
    assert (tuned.step_s, tuned.yellow_s) == (5, 2)  # RESCO's timing for this map
    fixed = run_episode(scenario, "fixed", tuned).delay_s
    default = run_episode(
        scenario, "adaptive", SignalParams(seed=1, step_s=5, yellow_s=2)
    )
    adaptive = run_episode(scenario, "adaptive", tuned).delay_s
    assert adaptive < 0.5 * fixed
    assert adaptive < 0.75 * default.delay_s


def test_queue_plot_draws_the_insertion_backlog(tmp_path: Path) -> None:
    """Vehicles waiting to enter get a dashed line; without any, none is drawn."""
    import matplotlib.pyplot as plt
    import numpy as np

    from kiwerk.domains.mobility import EpisodeResult
    from kiwerk.domains.mobility._signals import _queue_figure, plot_queues

    times = np.arange(0, 60, 10)
    jammed = EpisodeResult(
        "arterial4x4", "fixed", 0, 900.0, 50, times, np.ones(6), np.full(6, 40.0)
    )
    free = EpisodeResult("cologne1", "adaptive", 0, 40.0, 50, times, np.ones(6))
    fig = _queue_figure([jammed, free])
    styles = [line.get_linestyle() for line in fig.axes[0].get_lines()]
    assert styles == ["-", "--", "-"]
    assert "waiting to enter" in fig.axes[0].get_title()
    plt.close(fig)
    fig = _queue_figure([free])
    assert [x.get_linestyle() for x in fig.axes[0].get_lines()] == ["-"]
    plt.close(fig)
    assert plot_queues([jammed], tmp_path / "q.png").stat().st_size > 0
