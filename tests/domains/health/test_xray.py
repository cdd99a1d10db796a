"""X-ray triage: loader, network, calibration, abstaining, heat maps, OOD, pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import roc_auc_score

from kiwerk.core.models import ModelRegistry
from kiwerk.core.pipeline import FrameSource, TrainParams, train_pilot
from kiwerk.domains.health import (
    MedMnist,
    XrayNetParams,
    XrayTriage,
    XrayTriageParams,
    augment,
    choose_abstain_band,
    corrupt,
    coverage_curve,
    expected_calibration_error,
    fit_temperature,
    load_medmnist,
    mean_label_auc,
    medmnist_frame,
    predict_logits,
    save_overlay,
    sigmoid,
    threshold_for_sensitivity,
    train_xray_net,
    xray_pilot,
    youden_threshold,
)
from kiwerk.errors import DataFormatError, DatasetUnavailable, NotFittedError

TINY = XrayTriageParams(net=XrayNetParams(width=8, epochs=2), n_models=1)


def _write_slice(path: Path, n_labels: int, n: int = 60, seed: int = 0) -> Path:
    """A MedMNIST-format file: bright blob in images whose first label is 1."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, Any] = {}
    for split in ("train", "val", "test"):
        labels = rng.integers(0, 2, (n, n_labels)).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        images[labels[:, 0] == 1, 10:18, 10:18] += 150
        arrays[f"{split}_images"], arrays[f"{split}_labels"] = images, labels
    np.savez_compressed(path, **arrays)
    return path


@pytest.fixture(scope="module")
def pneumonia_slice(pneumonia_path: Path) -> MedMnist:
    """The first 600 images of each official PneumoniaMNIST split."""
    return load_medmnist(pneumonia_path, limit=600)


@pytest.fixture(scope="module")
def tiny_model(pneumonia_slice: MedMnist) -> XrayTriage:
    """A one-net, two-epoch triage model trained on the real slice."""
    return XrayTriage(TINY, seed=0).fit(pneumonia_slice.train, pneumonia_slice.val)


def test_official_file_has_the_documented_splits(pneumonia_path: Path) -> None:
    """4708 / 524 / 624 images, binary labels, 28 × 28 uint8."""
    ds = load_medmnist(pneumonia_path)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (4708, 524, 624)
    assert ds.n_labels == 1
    assert ds.train.images.shape[1:] == (28, 28)
    assert int(ds.test.labels.sum()) == 390


def test_chestmnist_format_trains_and_scores(tmp_path: Path) -> None:
    """A 14-label ChestMNIST-format slice loads, trains and gets a mean AUC."""
    ds = load_medmnist(_write_slice(tmp_path / "chestmnist.npz", 14))
    assert ds.n_labels == 14
    net = train_xray_net(
        ds.train.images,
        ds.train.labels,
        XrayNetParams(width=4, n_labels=14, epochs=3),
        seed=0,
    )
    scores = predict_logits([net], ds.test.images)
    assert scores.shape == (60, 14)
    assert 0.0 <= mean_label_auc(ds.test.labels, scores) <= 1.0
    assert roc_auc_score(ds.test.labels[:, 0], scores[:, 0]) > 0.8  # the blob label


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: _write_slice(p, 3), DataFormatError, "needs 14 label columns"),
        (lambda p: p.write_bytes(b"not a zip"), DataFormatError, "not a MedMNIST"),
        (
            lambda p: np.savez(p, train_images=np.zeros((1, 28, 28), np.uint8)),
            DataFormatError,
            "train_labels",
        ),
        (lambda p: None, DatasetUnavailable, "zenodo"),
    ],
    ids=["wrong-label-width", "not-an-archive", "missing-key", "absent"],
)
def test_bad_medmnist_files_are_named(
    tmp_path: Path, make: Callable[[Path], object], error: type[Exception], message: str
) -> None:
    """Malformed files raise errors naming the file and the problem."""
    path = tmp_path / "chestmnist.npz"
    make(path)
    with pytest.raises(error, match=message):
        load_medmnist(path)


def test_augment_keeps_shape_range_and_is_seeded() -> None:
    """Augmentations keep N × 1 × 28 × 28 in [0, 1] and repeat with the seed."""
    import torch

    x = torch.rand(8, 1, 28, 28)
    a = augment(x, torch.Generator().manual_seed(1))
    b = augment(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape
    assert torch.equal(a, b)
    assert float(a.min()) >= 0.0
    assert float(a.max()) <= 1.0


def test_temperature_scaling_lowers_log_loss() -> None:
    """On over-confident logits the fitted temperature lowers NLL and ECE."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    z = 6 * (y - 0.5) * rng.uniform(0.2, 1.5, 2000) + rng.normal(0, 3, 2000)
    t = fit_temperature(z, y)

    def nll(s: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0, s) - y * s))

    assert t > 1
    assert nll(z / t) < nll(z)
    assert expected_calibration_error(sigmoid(z / t), y) < expected_calibration_error(
        sigmoid(z), y
    )


def test_thresholds() -> None:
    """Youden splits the classes; the sensitivity cut keeps ≥ 95 % of positives."""
    y = np.array([0] * 50 + [1] * 100)
    s = np.r_[np.linspace(0, 0.4, 50), np.linspace(0.3, 1, 100)]
    assert 0.3 <= youden_threshold(s, y) <= 0.41
    t = threshold_for_sensitivity(s, y, 0.95)
    assert (s[y == 1] >= t).mean() >= 0.95
    assert (s[y == 1] >= np.nextafter(t, 1)).mean() < 0.95


def test_abstain_band_trades_coverage_for_accuracy() -> None:
    """Wider bands decide fewer cases more accurately; the chosen one meets a target."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1000)
    p = np.clip(0.5 + (y - 0.5) * 0.6 + rng.normal(0, 0.2, 1000), 0, 1)
    curve = coverage_curve(p, y, 0.5)
    assert [c.coverage for c in curve] == sorted(
        (c.coverage for c in curve), reverse=True
    )
    assert curve[-1].accuracy > curve[0].accuracy
    w = choose_abstain_band(p, y, 0.5, target_accuracy=0.97)
    decided = np.abs(p - 0.5) >= w
    assert ((p[decided] >= 0.5) == y[decided]).mean() >= 0.97


def test_model_learns_and_reports(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist
) -> None:
    """Two epochs on 600 real images already rank pneumonia (AUC > 0.85)."""
    scores = tiny_model.evaluate(pneumonia_slice.test)
    assert scores["auc"] > 0.85
    assert 0 < tiny_model.temperature_ < 10
    assert set(scores) >= {
        "ece_before",
        "ece_after",
        "coverage",
        "normals_deprioritised",
    }
    z = predict_logits(tiny_model.nets_, pneumonia_slice.test.images)[:, 0]
    y = pneumonia_slice.test.labels[:, 0]
    assert scores["acc_balanced_prior"] == pytest.approx(((z >= 0) == y).mean())


def test_augment_strength_zero_only_mirrors() -> None:
    """At strength 0 each augmented image is the image or its mirror."""
    import torch

    x = torch.rand(16, 1, 28, 28)
    out = augment(x, torch.Generator().manual_seed(3), strength=0.0)
    for a, b in zip(out, x, strict=True):
        assert torch.allclose(a, b, atol=1e-5) or torch.allclose(
            a, b.flip(-1), atol=1e-5
        )
    assert not torch.allclose(out, x, atol=1e-5)  # some were mirrored


def test_balanced_training_moves_the_prior() -> None:
    """On a 9:1 set, balancing raises the mean logit of the rare class's images."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (200, 28, 28)).astype(np.uint8)
    labels = (np.arange(200) < 180).astype(np.uint8)[:, None]  # 90 % positive
    fair = train_xray_net(
        images,
        labels,
        XrayNetParams(width=4, epochs=2, augment=False, balance=True),
        seed=1,
    )
    plain = train_xray_net(
        images,
        labels,
        XrayNetParams(width=4, epochs=2, augment=False, balance=False),
        seed=1,
    )
    z_plain = predict_logits([plain], images, tta=False).mean()
    z_fair = predict_logits([fair], images, tta=False).mean()
    assert z_fair < z_plain  # positives no longer dominate the loss


def test_decisions_refer_and_refuse(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist
) -> None:
    """Random-noise images are refused; the rest are decided or referred."""
    noise = np.random.default_rng(0).integers(0, 255, (20, 28, 28)).astype(np.uint8)
    assert tiny_model.predict(noise).count("refused") >= 18
    clean = tiny_model.predict(pneumonia_slice.test.images[:100])
    assert clean.count("refused") <= 5
    assert set(clean) <= {"pneumonia", "normal", "refer", "refused"}


def test_one_pass_predict_matches_separate_passes(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist
) -> None:
    """predict's fused pass gives the same decisions as proba + gate run apart."""
    images = np.r_[
        pneumonia_slice.test.images[:50], corrupt(pneumonia_slice.test.images[:10])
    ]
    probs = tiny_model.predict_proba(images)
    refused = tiny_model.gate_.refuse(images)
    expected = [
        "refused"
        if r
        else "refer"
        if abs(p - tiny_model.threshold_) < tiny_model.band_
        else ("pneumonia" if p >= tiny_model.threshold_ else "normal")
        for p, r in zip(probs, refused, strict=True)
    ]
    assert tiny_model.predict(images) == expected


def test_ood_gate_separates_corrupted_images(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist
) -> None:
    """The gate scores corrupted X-rays higher than clean ones (AUROC > 0.8)."""
    clean = pneumonia_slice.test.images
    bad = corrupt(clean, seed=2)
    s = np.r_[tiny_model.gate_.score(clean), tiny_model.gate_.score(bad)]
    assert roc_auc_score(np.r_[np.zeros(len(clean)), np.ones(len(bad))], s) > 0.8


def test_heat_maps_overlay_as_png(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist, tmp_path: Path
) -> None:
    """Grad-CAM maps are 28 × 28 in [0, 1] and overlay into a PNG."""
    maps = tiny_model.explain(pneumonia_slice.test.images[:3])
    assert maps.shape == (3, 28, 28)
    assert float(maps.min()) >= 0.0
    assert float(maps.max()) <= 1.0
    path = save_overlay(
        pneumonia_slice.test.images[0], maps[0], tmp_path / "h.png", caption="x"
    )
    with Image.open(path) as img:
        assert img.format == "PNG"


def test_every_prediction_gets_a_heat_map_png(
    tiny_model: XrayTriage, pneumonia_slice: MedMnist, tmp_path: Path
) -> None:
    """save_heatmaps writes one readable PNG per image."""
    paths = tiny_model.save_heatmaps(pneumonia_slice.test.images[:4], tmp_path)
    assert len(paths) == 4
    for path in paths:
        with Image.open(path) as img:
            assert img.size[0] > 100


def test_unfitted_and_malformed_input_are_refused(tiny_model: XrayTriage) -> None:
    """An unfitted model and colour input raise kiwerk errors."""
    with pytest.raises(NotFittedError):
        XrayTriage(TINY).predict_proba(np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(DataFormatError, match="grey images"):
        tiny_model.predict_proba(np.zeros((1, 28, 28, 3), np.uint8))


@pytest.mark.slow
def test_pilot_trains_through_the_shared_pipeline(
    pneumonia_path: Path, tmp_path: Path, registry: ModelRegistry
) -> None:
    """``health-xray`` trains, evaluates, explains and registers via train_pilot."""
    ds = load_medmnist(pneumonia_path, limit=300)
    small = tmp_path / "pneumoniamnist.npz"
    np.savez(
        small,
        **{
            f"{s}_{k}": getattr(ds.split(s), k)
            for s in ("train", "val", "test")
            for k in ("images", "labels")
        },
    )
    pilot = xray_pilot()
    source = FrameSource({"pneumoniamnist": medmnist_frame(small)})
    report = train_pilot(pilot, source, registry, TrainParams(seed=0, quick=True))
    assert report.record.name == "health-xray"
    assert report.metrics["auc"] > 0.7
    assert {"normals_deprioritised", "sensitivity_at_triage"} <= set(report.kpis)
    assert report.record.cv_metrics["auc.mean"] > 0.5  # one quick epoch, 300 images
    assert len(report.explanation["importance"]) > 0


@pytest.mark.slow
def test_real_training_reaches_published_resnet_auc(pneumonia_path: Path) -> None:
    """A single 4-epoch net on the full training split beats ResNet-18's 0.944 AUC."""
    ds = load_medmnist(pneumonia_path)
    params = XrayTriageParams(net=XrayNetParams(width=16, epochs=4), n_models=1)
    model = XrayTriage(params, seed=0).fit(ds.train, ds.val)
    assert model.evaluate(ds.test)["auc"] > 0.944


def test_parallel_members_equal_serial_ones(tmp_path: Path) -> None:
    """Two worker processes train the same members, in seed order, as one."""
    ds = load_medmnist(_write_slice(tmp_path / "pneumoniamnist.npz", 1, n=40))
    net = XrayNetParams(width=4, epochs=1)
    models = [
        XrayTriage(XrayTriageParams(net=net, n_models=3, workers=w), seed=5).fit(
            ds.train, ds.val
        )
        for w in (1, 2)
    ]
    assert [len(m.nets_) for m in models] == [3, 3]
    for serial, parallel in zip(models[0].nets_, models[1].nets_, strict=True):
        for a, b in zip(
            serial.state_dict().values(), parallel.state_dict().values(), strict=True
        ):
            assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(
        models[0].nets_[0].head.weight.detach().numpy(),
        models[0].nets_[1].head.weight.detach().numpy(),
    )


def test_budget_stops_adding_members(tmp_path: Path) -> None:
    """With a budget shorter than one member, only the first wave is trained."""
    ds = load_medmnist(_write_slice(tmp_path / "pneumoniamnist.npz", 1, n=40))
    net = XrayNetParams(width=4, epochs=1)
    for workers in (1, 2):
        params = XrayTriageParams(
            net=net, n_models=4, workers=workers, time_budget_s=1e-6
        )
        model = XrayTriage(params, seed=0).fit(ds.train, ds.val)
        assert len(model.nets_) == workers
        assert model.train_cpu_seconds_ > 0
    with pytest.raises(ValueError, match="workers"):
        XrayTriageParams(workers=0)
