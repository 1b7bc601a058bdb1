"""Refresh the README screenshots from the browser tests' full-page captures.

    .venv/bin/pytest tests/e2e            # writes artifacts/screenshots/*.png
    .venv/bin/python tests/e2e/screenshots/make.py

Each capture is cut to its top 2000 px, scaled to 1100 px wide and reduced to 256 colours, so a
page's screenshot stays under ~300 KB. The phone captures (390 × 844, from
tests/e2e/test_accessibility.py) keep their size. (Not a test module: pytest collects test_*.py only.)
"""

from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "artifacts" / "screenshots"
NAMES = ("app", "1_Scalar_intuition", "2_Nonlinearity_derivatives", "3_Spectral_norms", "4_Gradient_clipping",
         "5_Training_lab", "6_Your_network", "7_Edge_of_chaos", "lecture-mode", "lecture-tour")
#: Phone captures (what a student sees first on a 390 px wide phone), kept at their own size.
PHONE_NAMES = ("phone-app", "phone-Gradient_clipping", "phone-Training_lab")
WIDTH, TOP = 1100, 2000

if __name__ == "__main__":
    for name in (*NAMES, *PHONE_NAMES):
        path = SOURCE / f"{name}.png"
        if not path.exists():
            print(f"missing {path} (run the browser tests first)")
            continue
        image = Image.open(path).convert("RGB")
        if name not in PHONE_NAMES:
            image = image.crop((0, 0, image.width, min(image.height, TOP)))
            image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.LANCZOS)
        out = HERE / f"{name}.png"
        image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
        print(f"{out.name}: {out.stat().st_size // 1024} KB")
