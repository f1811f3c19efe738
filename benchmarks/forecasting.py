"""statsforecast against statsmodels on the same daily series: fit + forecast time and MASE.

    .venv/bin/python benchmarks/forecasting.py [--series 8] [--days 365] [--origins 8]

Both sides fit an exponential-smoothing and an ARIMA model with a weekly season on the same
synthetic prevalence series (weekly cycle, noise, one planted wave each), at the same rolling
origins, and forecast 7 days ahead. statsforecast's side is what moodcast uses (AutoETS and the
cheap AutoARIMA of forecasting.backtest); the peer is statsmodels' ETSModel (additive error,
trend and season, fixed) and SARIMAX(1,0,1)(1,0,1,7), since Prophet's bundled Stan model was not
set up on this machine. Ratios are statsmodels ÷ statsforecast (above 1: statsforecast faster).
Results go to benchmarks/RESULTS.md (the `forecasting` section).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.results import write_section  # noqa: E402

HORIZON = 7
SEASON = 7


def make_series(n_series: int, days: int, seed: int = 5) -> list[np.ndarray]:
    """Synthetic daily prevalence: weekly cycle, noise and one wave per series."""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    out = []
    for _ in range(n_series):
        centre = rng.integers(days // 3, days - 20)
        wave = 0.03 * np.exp(-((t - centre) ** 2) / 40)
        out.append(0.05 + 0.006 * np.sin(2 * np.pi * t / 7) + wave + rng.normal(0, 0.002, days))
    return out


def statsforecast_side(train: np.ndarray) -> dict[str, np.ndarray]:
    from statsforecast.models import AutoARIMA, AutoETS

    from forecasting.backtest import candidate_models

    models = {
        m.alias: m
        for m in candidate_models(season_length=SEASON, input_size=len(train))
        if m.alias in ("AutoETS", "AutoARIMA")
    }
    assert isinstance(models["AutoETS"], AutoETS) and isinstance(models["AutoARIMA"], AutoARIMA)
    return {
        "ETS": models["AutoETS"].forecast(y=train, h=HORIZON)["mean"],
        "ARIMA": models["AutoARIMA"].forecast(y=train, h=HORIZON)["mean"],
    }


def statsmodels_side(train: np.ndarray) -> dict[str, np.ndarray]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    ets = ETSModel(train, error="add", trend="add", seasonal="add", seasonal_periods=SEASON)
    arima = SARIMAX(train, order=(1, 0, 1), seasonal_order=(1, 0, 1, SEASON), trend="c")
    return {
        "ETS": ets.fit(disp=False).forecast(HORIZON),
        "ARIMA": arima.fit(disp=False).forecast(HORIZON),
    }


def run(side, series: list[np.ndarray], origins: int) -> tuple[float, dict[str, float]]:
    """Seconds spent in fit + forecast, and mean MASE per model, over every series and origin."""
    seconds, errors = 0.0, {}
    for y in series:
        split = len(y) - origins * HORIZON
        scale = np.mean(np.abs(y[SEASON:split] - y[: split - SEASON]))
        for origin in range(split, len(y), HORIZON):
            clock = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                forecasts = side(y[:origin])
            seconds += time.perf_counter() - clock
            for name, forecast in forecasts.items():
                mae = np.mean(np.abs(y[origin : origin + HORIZON] - np.asarray(forecast)))
                errors.setdefault(name, []).append(mae / scale)
    return seconds, {name: float(np.mean(values)) for name, values in errors.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=8)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--origins", type=int, default=8)
    args = parser.parse_args()
    series = make_series(args.series, args.days)
    statsforecast_side(series[0][:-HORIZON])  # import and first-call cost, not timed
    ours_s, ours_mase = run(statsforecast_side, series, args.origins)
    peer_s, peer_mase = run(statsmodels_side, series, args.origins)
    fits = args.series * args.origins
    lines = [
        f"`.venv/bin/python benchmarks/forecasting.py --series {args.series} --days {args.days} "
        f"--origins {args.origins}` on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {date.today().isoformat()} ({fits} fits per model and side).",
        "",
        "| side | ETS + ARIMA fit+forecast s | ETS MASE | ARIMA MASE |",
        "| --- | ---: | ---: | ---: |",
        f"| statsforecast (AutoETS, cheap AutoARIMA) | {ours_s:.2f} | {ours_mase['ETS']:.3f} | {ours_mase['ARIMA']:.3f} |",
        f"| statsmodels (ETSModel AAA, SARIMAX(1,0,1)(1,0,1,7)) | {peer_s:.2f} | {peer_mase['ETS']:.3f} | {peer_mase['ARIMA']:.3f} |",
        "",
        f"**Time ratio (statsmodels ÷ statsforecast): {peer_s / ours_s:.2f}×.**",
    ]
    write_section("forecasting", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
