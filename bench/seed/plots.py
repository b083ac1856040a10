"""Draws the seed tables' plots (bench/seed_tables.py): one PNG per entry of
the JSON file's "plots", written to its "files" path.

    python3 plots.py DATA.json

Exit status 3 when this interpreter has no matplotlib (the harness then
tries /usr/bin/python3, which has Debian's python3-matplotlib).
"""
import json
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit(3)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for name, plot in spec["plots"].items():
        panels = plot["panels"]
        fig, axes = plt.subplots(1, len(panels), figsize=(
            4.4 * len(panels), 3.8), squeeze=False)
        for ax, panel in zip(axes[0], panels):
            for line in panel["lines"]:
                ax.plot(line["x"], line["y"], marker="o", label=line["label"])
            if panel.get("logy"):
                ax.set_yscale("log")
                ax.axhline(1.03, color="grey", ls="--", lw=0.8)
            ax.set_xscale("log")
            ax.set_title(panel["title"])
            ax.set_xlabel(plot["xlabel"])
            ax.set_ylabel(panel.get("ylabel", ""))
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(spec["files"][name], dpi=80)
        plt.close(fig)


main()
