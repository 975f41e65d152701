"""Draws layers.svg, the diagram of a feedforward network used in the chapter.

Run from the repository root: ``.venv/bin/python chapters/02_layers/draw_layers.py``.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Circle

plt.rcParams["svg.hashsalt"] = "genolearn"
fig, ax = plt.subplots(figsize=(8.6, 4.4))
ax.set_xlim(-0.4, 11.6)
ax.set_ylim(-2.2, 5.6)
ax.axis("off")

INPUT, HIDDEN, OUTPUT = "#dbe9f6", "#fde0c5", "#e5f5e0"
columns = [  # x position, node heights, fill colour, title, what the layer holds
    (
        1.0,
        [4.4, 3.6, 2.8, 1.2, 0.4],
        INPUT,
        "input layer",
        "raw data:\none-hot DNA (4L values)\nor expression (G genes)",
    ),
    (4.3, [3.9, 2.9, 1.9, 0.9], HIDDEN, "hidden layer 1", "simple features:\ne.g. motif detectors"),
    (7.3, [3.4, 2.4, 1.4], HIDDEN, "hidden layer 2", "combinations:\ne.g. motif A AND B"),
    (
        10.2,
        [2.4],
        OUTPUT,
        "output layer",
        "the prediction:\nP(enhancer), disease,\nor an expression level",
    ),
]
shapes = ["(N, D)", "(N, H$_1$)", "(N, H$_2$)", "(N, 1)"]
weights = ["$W_1$: (D, H$_1$)", "$W_2$: (H$_1$, H$_2$)", "$W_3$: (H$_2$, 1)"]
for (x0, ys0, *_), (x1, ys1, *_), w in zip(columns[:-1], columns[1:], weights, strict=True):
    for y0 in ys0:
        for y1 in ys1:
            ax.plot([x0 + 0.3, x1 - 0.3], [y0, y1], color="0.6", lw=0.6, zorder=1)
    ax.text((x0 + x1) / 2, 5.0, w, ha="center", fontsize=9.5, color="tab:blue")
for (x, ys, color, title, note), shape in zip(columns, shapes, strict=True):
    for y in ys:
        ax.add_patch(Circle((x, y), 0.3, fc=color, ec="k", zorder=2))
    ax.text(x, 5.45, title, ha="center", fontsize=11, weight="bold")
    ax.text(x, -0.2, shape, ha="center", va="top", fontsize=10)
    ax.text(x, -1.1, note, ha="center", va="top", fontsize=8.5)
ax.text(1.0, 2.0, r"$\vdots$", ha="center", va="center", fontsize=14)
ax.annotate(
    "",
    xy=(11.4, -0.85),
    xytext=(-0.2, -0.85),
    arrowprops={"arrowstyle": "-|>", "color": "0.4", "lw": 0.8},
)
ax.text(5.6, -0.75, "forward pass", ha="center", va="bottom", fontsize=8.5, color="0.4")
fig.savefig("chapters/02_layers/layers.svg", bbox_inches="tight", metadata={"Date": None})
