"""Assemble the spaCy pipeline from its config file in ``pipelines/``.

The tokenizer is spaCy's Chinese tokenizer with the pkuseg segmenter, loaded
by path from the model that the ``pkuseg`` package ships (no download at run
time), with a user dictionary generated from the project's own lexicons so
that domain terms stay whole. Load it once per process: it takes a few
seconds and about 850 MB.

Example:
    >>> nlp = load_pipeline()
    >>> nlp.pipe_names
    ['lgkg_places', 'lgkg_agencies', 'lgkg_programmes', 'lgkg_honours']
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import tempfile
from pathlib import Path

from kg import __version__
from kg.errors import KGError
from kg.resources import data_dir

__all__ = ["PIPELINES_DIR", "DEFAULT_CONFIG", "PIPELINE_VERSION", "pkuseg_model_dir", "user_dictionary",
           "load_pipeline"]

PIPELINES_DIR = data_dir("pipelines")
DEFAULT_CONFIG = PIPELINES_DIR / "lgkg.cfg"


def _version() -> str:
    """The package version plus a digest of the rules, lexicons and code: the cache key's second half."""
    digest = hashlib.sha256()
    files = sorted(PIPELINES_DIR.glob("*")) + sorted(Path(__file__).resolve().parent.rglob("*.py"))
    for path in files:
        if path.is_file() and path.name != "user_dict.txt":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


PIPELINE_VERSION = _version()


def pkuseg_model_dir() -> Path:
    """The default model shipped inside the ``pkuseg`` package."""
    spec = importlib.util.find_spec("pkuseg")
    if spec is None or not spec.submodule_search_locations:
        raise KGError("the pkuseg package is not installed; run `make run`, which installs it "
                      "with `pip install --no-build-isolation pkuseg==0.0.25`")
    path = Path(next(iter(spec.submodule_search_locations)), "models", "default")
    if not (path / "features.pkl").is_file():
        raise KGError(f"the pkuseg model is missing from {path}; reinstall pkuseg (see the README)")
    return path


def _lexicon_words() -> list[str]:
    from kg.recognise.agencies import agency_words  # noqa: PLC0415 - the recognisers own their data
    from kg.recognise.programmes import programme_words  # noqa: PLC0415

    words = {*agency_words(), *programme_words()}
    return sorted(w for w in words if 2 <= len(w) <= 12 and "(" not in w)


@functools.cache
def user_dictionary() -> Path:
    """Write the user dictionary (one word a line) generated from the lexicons; return its path."""
    text = "\n".join(_lexicon_words()) + "\n"
    path = Path(tempfile.gettempdir()) / f"lgkg-user-dict-{hashlib.sha256(text.encode()).hexdigest()[:12]}.txt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def load_pipeline(config: str | Path | None = None):
    """Load the pipeline described by ``config`` (the shipped one by default).

    Args:
        config: a spaCy config file; relative paths in it resolve against its folder.

    Returns:
        The initialised ``spacy.Language``.

    Raises:
        KGError: the config file is missing or the model cannot be found.
    """
    import spacy  # noqa: PLC0415 - heavy; imported where the pipeline is needed
    from spacy.util import load_config, load_model_from_config

    import kg.components  # noqa: F401,PLC0415 - registers the factories

    path = Path(config) if config else DEFAULT_CONFIG
    if not path.is_file():
        raise KGError(f"pipeline config {path} not found; pass an existing file or omit it to use {DEFAULT_CONFIG}")
    cfg = load_config(path, overrides={"paths.pkuseg_model": str(pkuseg_model_dir()),
                                       "paths.user_dict": str(user_dictionary())}, interpolate=False)
    nlp = load_model_from_config(cfg, auto_fill=True, validate=True)
    init = cfg.interpolate()["initialize"]["tokenizer"]
    # spacy-pkuseg prints a note when it falls back from msgpack to the .pkl features it ships.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        nlp.tokenizer.initialize(pkuseg_model=init["pkuseg_model"], pkuseg_user_dict=init["pkuseg_user_dict"])
    for _, proc in nlp.pipeline:  # the components load their data files now, not on the first document
        if hasattr(proc, "initialize"):
            proc.initialize(nlp=nlp)
    assert spacy  # the import above registers spaCy's own functions
    return nlp
