"""What a frontier point costs: $ per million tokens per price tier and tokens per all-in MW.

Formulas are InferenceX's: cost = $/GPU-hour / (tput_per_gpu * 3600 / 1e6);
tokens per MW = tput_per_gpu * 1000 / kW per GPU.
"""

from __future__ import annotations

from bot.config import PriceTable
from bot.model import FrontierPoint, Point


def cost_per_million_tokens(usd_per_gpu_hour: float, tput_per_gpu: float) -> float:
    return usd_per_gpu_hour / (tput_per_gpu * 3600.0 / 1e6)


def tokens_per_mw(tput_per_gpu: float, kw_per_gpu: float) -> float:
    return tput_per_gpu * 1000.0 / kw_per_gpu


def frontier_point(point: Point, hardware: str, prices: PriceTable | None) -> FrontierPoint:
    cost = prices.cost_for(hardware) if prices else None
    return FrontierPoint(
        interactivity=point.interactivity,
        tput_per_gpu=point.tput_per_gpu,
        concurrency=point.concurrency,
        cost_per_mtok={}
        if cost is None
        else {
            tier: cost_per_million_tokens(usd, point.tput_per_gpu)
            for tier, usd in cost.usd_per_gpu_hour.items()
        },
        tokens_per_mw=None if cost is None else tokens_per_mw(point.tput_per_gpu, cost.kw_all_in),
    )
