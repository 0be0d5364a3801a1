"""The project installed as a wheel (not editable) into a fresh virtual environment, used from outside the checkout.

The environment borrows the already installed dependencies (spaCy, rdflib …)
through a ``.pth`` line naming this interpreter's site-packages, so nothing is
downloaded; the project itself comes only from the wheel built here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import json, spacy, kg
    nlp = spacy.blank("zh")
    for name in ("lgkg_places", "lgkg_agencies", "lgkg_programmes", "lgkg_honours"):
        nlp.add_pipe(name)
    nlp.initialize()
    doc = nlp("甘肃省兰州市城关区司法局会同司法部深入开展“八五”普法，城关区获评全国法治政府建设示范区。")
    print(json.dumps({
        "kg": kg.__file__,
        "spans": sorted((s.label_, s.id_) for s in doc.spans["lgkg"]),
        "config": nlp.config["components"]["lgkg_agencies"]["factory"],
    }, ensure_ascii=False))
""")


@pytest.mark.slow
def test_wheel_in_a_fresh_environment_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies of this environment, without the editable finder of the checkout
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    wheel = next(wheels.glob("lgkg-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    run = subprocess.run([py, "-c", SCRIPT], cwd=work, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(out["kg"]).is_relative_to(env_dir)  # the installed copy, not the checkout
    spans = {tuple(s) for s in out["spans"]}
    assert {("PLACE", "城关区"), ("AGENCY", "司法部"), ("AGENCY", "城关区司法局"), ("PROGRAMME", "八五普法"),
            ("HONOUR", "全国法治政府建设示范区")} <= spans
    assert out["config"] == "lgkg_agencies"
