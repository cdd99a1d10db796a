"""Mobility: traffic forecasting, signal control and fleet routing."""

from kiwerk.domains.mobility._fleet import (
    FleetParams,
    FleetPlan,
    Hub,
    Order,
    Stop,
    Tour,
    screen_orders,
    snap,
    travel_matrices,
)
from kiwerk.domains.mobility._fleet_draw import (
    draw_tours_html,
    draw_tours_png,
    tour_paths,
)
from kiwerk.domains.mobility._fleet_geo import (
    AACHEN_HUBS,
    demo_orders,
    plan_geojson,
)
from kiwerk.domains.mobility._fleet_solve import (
    plan_routes,
    replan,
)
from kiwerk.domains.mobility._forecast_pilot import (
    ForecastModel,
    forecast_pilot,
)
from kiwerk.domains.mobility._forecast_view import ForecastView, forecast_view
from kiwerk.domains.mobility._signal_results import (
    read_signal_results,
    record_signal_results,
    signal_results_path,
)
from kiwerk.domains.mobility._signals import (
    EpisodeResult,
    SignalParams,
    read_delay,
    run_episode,
)
from kiwerk.domains.mobility._streets import (
    StreetGraph,
    VehicleRules,
    build_street_graph,
    oneway_direction,
    way_allowed,
    way_speed_kmh,
)
from kiwerk.domains.mobility._traffic_data import (
    SpeedSeries,
    check_speed,
    lags,
    read_speed_h5,
    series_from_los_loop,
    split_origins,
    targets,
)
from kiwerk.domains.mobility._traffic_eval import (
    TrafficReport,
    evaluate_traffic,
    tgcn_metrics,
    tune_blend,
)
from kiwerk.domains.mobility._traffic_explain import (
    ForecastExplanation,
    draw_sensor_map,
    explain_forecast,
)
from kiwerk.domains.mobility._traffic_features import (
    DailyProfile,
    FeatureBlock,
    build_features,
)
from kiwerk.domains.mobility._traffic_gnn import GraphDiffusionNet
from kiwerk.domains.mobility._traffic_models import (
    Forecaster,
    ForecastParams,
    GradientBoosting,
    GraphRidge,
    HistoricalAverage,
    Persistence,
)
from kiwerk.domains.mobility._traffic_neural import (
    GraphBlend,
    GraphMlp,
)
from kiwerk.domains.mobility._vrp_bench import (
    BenchResult,
    distance_matrix,
    solve_ortools,
    solve_pyvrp,
    solve_pyvrp_parallel,
)

__all__ = [
    "AACHEN_HUBS",
    "BenchResult",
    "DailyProfile",
    "EpisodeResult",
    "FeatureBlock",
    "FleetParams",
    "FleetPlan",
    "ForecastExplanation",
    "ForecastModel",
    "ForecastParams",
    "ForecastView",
    "Forecaster",
    "GradientBoosting",
    "GraphBlend",
    "GraphDiffusionNet",
    "GraphMlp",
    "GraphRidge",
    "HistoricalAverage",
    "Hub",
    "Order",
    "Persistence",
    "SignalParams",
    "SpeedSeries",
    "Stop",
    "StreetGraph",
    "Tour",
    "TrafficReport",
    "VehicleRules",
    "build_features",
    "build_street_graph",
    "check_speed",
    "demo_orders",
    "distance_matrix",
    "draw_sensor_map",
    "draw_tours_html",
    "draw_tours_png",
    "evaluate_traffic",
    "explain_forecast",
    "forecast_pilot",
    "forecast_view",
    "lags",
    "oneway_direction",
    "plan_geojson",
    "plan_routes",
    "read_delay",
    "read_signal_results",
    "read_speed_h5",
    "record_signal_results",
    "replan",
    "run_episode",
    "screen_orders",
    "series_from_los_loop",
    "signal_results_path",
    "snap",
    "solve_ortools",
    "solve_pyvrp",
    "solve_pyvrp_parallel",
    "split_origins",
    "targets",
    "tgcn_metrics",
    "tour_paths",
    "travel_matrices",
    "tune_blend",
    "way_allowed",
    "way_speed_kmh",
]
