"""Draws neuron.svg, the diagram of one neuron used in the chapter.

Run from the repository root: ``.venv/bin/python chapters/01_neuron/draw_neuron.py``.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle  # noqa: E402

plt.rcParams["svg.hashsalt"] = "genolearn"
fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.set_xlim(0, 10)
ax.set_ylim(0, 5)
ax.axis("off")
inputs = [(1, 4.2, r"$x_1$"), (1, 2.5, r"$x_2$"), (1, 0.8, r"$x_D$")]
for x, y, t in inputs:
    ax.add_patch(Circle((x, y), 0.38, fc="#dbe9f6", ec="k"))
    ax.text(x, y, t, ha="center", va="center", fontsize=12)
ax.text(1, 1.65, r"$\vdots$", ha="center", va="center", fontsize=14)
ax.add_patch(Circle((5, 2.5), 0.75, fc="#fde0c5", ec="k"))
ax.text(5, 2.5, r"$\Sigma$", ha="center", va="center", fontsize=18)
for (x, y, _), w in zip(inputs, [r"$w_1$", r"$w_2$", r"$w_D$"], strict=True):
    end = (4.27, 2.5 + (y - 2.5) * 0.25)
    ax.add_patch(FancyArrowPatch((x + 0.4, y), end, arrowstyle="-|>", mutation_scale=12))
    ax.text((x + 4.3) / 2, (y + end[1]) / 2 + 0.22, w, ha="center", fontsize=11, color="tab:blue")
ax.text(5, 4.35, r"bias $b$", ha="center", fontsize=11)
ax.add_patch(FancyArrowPatch((5, 4.1), (5, 3.28), arrowstyle="-|>", mutation_scale=12))
ax.add_patch(FancyArrowPatch((5.77, 2.5), (6.9, 2.5), arrowstyle="-|>", mutation_scale=12))
ax.text(6.33, 2.75, r"$z$", ha="center", fontsize=12)
ax.add_patch(Rectangle((6.9, 2.0), 1.0, 1.0, fc="#e5f5e0", ec="k"))
ax.text(7.4, 2.5, r"$f$", ha="center", va="center", fontsize=14)
ax.add_patch(FancyArrowPatch((7.9, 2.5), (9.2, 2.5), arrowstyle="-|>", mutation_scale=12))
ax.text(9.45, 2.5, r"$a$", ha="center", va="center", fontsize=13)
ax.text(5, 0.45, r"$z = \mathbf{w}^\top \mathbf{x} + b \qquad a = f(z)$", ha="center", fontsize=12)
fig.savefig("chapters/01_neuron/neuron.svg", bbox_inches="tight", metadata={"Date": None})
