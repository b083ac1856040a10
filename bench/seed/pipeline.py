"""pandas pipeline on generated CSV files: read_csv, clean, groupby,
merge, pivot_table, write the result.

    python pipeline.py DATA_DIR

DATA_DIR holds sales.csv and products.csv (bench/seed/gencode.py
write_pipeline_data makes them). Prints BENCH {"ns": time after the
imports, "rows": ...}.
"""
import json
import os
import sys
import time

t_start = time.perf_counter_ns()
import pandas as pd  # noqa: E402


def main():
    data = sys.argv[1]
    t0 = time.perf_counter_ns()
    sales = pd.read_csv(os.path.join(data, "sales.csv"),
                        parse_dates=["date"])
    products = pd.read_csv(os.path.join(data, "products.csv"))
    sales = sales[sales["qty"] > 0].copy()
    sales["month"] = sales["date"].dt.to_period("M").astype(str)
    merged = sales.merge(products, on="product_id", how="left")
    merged["revenue"] = merged["qty"] * merged["price"]
    by_store = merged.groupby(["store", "category"]).agg(
        revenue=("revenue", "sum"), qty=("qty", "sum"),
        orders=("order_id", "nunique"))
    pivot = merged.pivot_table(index="store", columns="month",
                               values="revenue", aggfunc="sum", fill_value=0)
    top = (merged.groupby("product_id")["revenue"].sum()
           .sort_values(ascending=False).head(20))
    out = os.path.join(data, "report.csv")
    pivot.to_csv(out)
    check = float(by_store["revenue"].sum() + pivot.values.sum()
                  + top.sum())
    t1 = time.perf_counter_ns()
    print("checksum %.3f" % check)
    print("BENCH " + json.dumps({"ns": t1 - t0, "imports_ns": t0 - t_start,
                                 "rows": int(len(sales))}), flush=True)


main()
