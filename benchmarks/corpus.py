"""The project's own synthetic catalogue for benchmarks: listing titles, detail copy, live-script
lines and posts, with lexicon hits at a realistic rate: about one per 200 characters, most of them
violations, some lawful look-alikes (最好冷藏, 第一时间) that the engine must clear.

Run: python benchmarks/corpus.py N OUT.jsonl   (N records)
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

# Where the figures go; a test that runs a benchmark small points this elsewhere.
RESULTS = Path(os.environ.get("SCREENING_BENCH_RESULTS") or Path(__file__).resolve().parent / "results")

PRODUCTS = ["加绒卫衣", "纯棉T恤", "保温杯", "蓝牙耳机", "面霜", "洗发水", "蜂蜜", "黑芝麻丸", "护腰带", "电热毯",
            "儿童书包", "不粘锅", "床垫", "羊绒围巾", "跑步鞋", "茶叶礼盒", "坚果礼包", "精华液", "防晒霜", "机械键盘"]
NEUTRAL = ["2026新款", "宽松百搭", "男女同款", "家用", "大容量", "现货速发", "支持七天无理由", "包邮", "送运费险",
           "多色可选", "简约设计", "加厚款", "可机洗", "适合通勤", "学生党", "送礼佳品", "独立包装", "厂家直发",
           "最近很多人问", "支持货到付款", "尺码偏大", "颜色以实物为准"]
# Lawful text that contains a lexicon form: the raw pass hits it, the engine must clear it.
LOOKALIKE = ["第一次买就回购了", "最好冷藏保存", "面料100%纯棉", "下单后第一时间发货", "全网通", "官方正品"]
CLAIMS = ["全网第一", "最好用的", "国家级工艺", "7天见效", "根治", "顶级品质", "销量第一", "100%有效", "特供",
          "最佳选择", "无效退款", "降血压", "美白祛斑", "永不反弹", "招财转运"]
DETAIL = ["产品采用优质原料，做工细致，", "细节处理到位，走线整齐，", "收到货请先检查外包装，", "如有问题请联系客服，",
          "我们坚持用心做好每一件产品，", "清洗时请用温水手洗，", "开封后请尽快食用，", "温馨提示：请放在儿童接触不到的地方，"]
LIVE = ["家人们看过来，", "上链接了啊，", "3、2、1，", "库存不多了，", "主播自己也在用，", "今天直播间福利价，"]
TYPES = [("listing", 0.55), ("live_script", 0.2), ("post", 0.15), ("ad", 0.1)]


def record(i: int, rng: random.Random) -> dict:
    ct = rng.choices([t for t, _ in TYPES], [w for _, w in TYPES])[0]
    product = rng.choice(PRODUCTS)
    parts = [product] + rng.sample(NEUTRAL, 3)
    if ct != "listing" or rng.random() < 0.3:
        body = LIVE if ct == "live_script" else DETAIL
        parts += [rng.choice(body) for _ in range(rng.randint(3, 12))]
    text = " ".join(parts)
    # A claim per 500 characters and a look-alike per 1,500, on average: with the hits nested in
    # claims (全网第一 holds 全网 and 第一) and in product names (防晒霜), that is about one lexicon
    # hit per 200 characters.
    for phrases, every in ((CLAIMS, 500), (LOOKALIKE, 1500)):
        for _ in range(int(len(text) / every + rng.random())):
            cut = rng.randrange(len(text) + 1)
            text = text[:cut] + rng.choice(phrases) + text[cut:]
    return {"id": f"bench-{i:07d}", "text": text, "content_type": ct, "product_category": "general"}


def generate(n: int, seed: int = 7):
    rng = random.Random(seed)
    for i in range(n):
        yield record(i, rng)


def write_corpus(path: str | Path, n: int, merchants: int = 0) -> None:
    """Write ``n`` generated records as JSONL (spread over ``merchants`` merchant ids if > 0)."""
    with open(path, "w", encoding="utf-8") as f:
        for i, rec in enumerate(generate(n)):
            if merchants:
                rec["merchant_id"] = f"m{i % merchants}"
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def save_result(name: str, data: dict) -> None:
    """Write a benchmark's figures to benchmarks/results/NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    write_corpus(sys.argv[2], int(sys.argv[1]))


if __name__ == "__main__":
    main()
