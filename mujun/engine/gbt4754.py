"""GB/T 4754-2017 industry divisions (行业大类) of the sections an evaluation of industrial land meets: B
mining (06–12), C manufacturing (13–43), D power, gas and water (44–46). Their names are the standard's own
(Chinese only: they are proper names, as the statistical yearbooks print them)."""

from __future__ import annotations

import polars as pl

from mujun.engine.groups import industry_division

DIVISIONS: dict[str, str] = {
    "06": "煤炭开采和洗选业",
    "07": "石油和天然气开采业",
    "08": "黑色金属矿采选业",
    "09": "有色金属矿采选业",
    "10": "非金属矿采选业",
    "11": "开采专业及辅助性活动",
    "12": "其他采矿业",
    "13": "农副食品加工业",
    "14": "食品制造业",
    "15": "酒、饮料和精制茶制造业",
    "16": "烟草制品业",
    "17": "纺织业",
    "18": "纺织服装、服饰业",
    "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业",
    "21": "家具制造业",
    "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业",
    "24": "文教、工美、体育和娱乐用品制造业",
    "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业",
    "27": "医药制造业",
    "28": "化学纤维制造业",
    "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业",
    "31": "黑色金属冶炼和压延加工业",
    "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业",
    "34": "通用设备制造业",
    "35": "专用设备制造业",
    "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业",
    "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业",
    "40": "仪器仪表制造业",
    "41": "其他制造业",
    "42": "废弃资源综合利用业",
    "43": "金属制品、机械和设备修理业",
    "44": "电力、热力生产和供应业",
    "45": "燃气生产和供应业",
    "46": "水的生产和供应业",
}


def division_code(code: pl.Expr) -> pl.Expr:
    """The division of a GB/T 4754 code: its first two digits ("C3411" → "34"); null when blank or shorter."""
    digits = industry_division(code)
    return pl.when(digits.str.len_chars() >= 2).then(digits.str.slice(0, 2))


def division_label(division: str | None) -> str:
    """"34 通用设备制造业"; a division outside the table keeps its code alone."""
    if not division:
        return ""
    name = DIVISIONS.get(division)
    return f"{division} {name}" if name else division
