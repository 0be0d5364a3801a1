"""Where the project's data folders are: ``pipelines/`` and ``ontology/``.

From a checkout (an editable install, the tests) they are the repository's
own folders beside the ``kg`` package; from an installed wheel they are the
package data ``kg._pipelines`` and ``kg._ontology`` that ``setup.cfg`` maps
those folders to. Either way the same files are read; nothing is copied by
hand.

Example:
    >>> data_dir("pipelines").joinpath("lgkg.cfg").is_file()
    True
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kg.errors import KGError

__all__ = ["data_dir", "DATA_FOLDERS"]

#: The data folders, each with the package name it installs as.
DATA_FOLDERS = {"pipelines": "kg._pipelines", "ontology": "kg._ontology"}


def data_dir(name: str) -> Path:
    """The folder ``name`` (``pipelines`` or ``ontology``) of this installation.

    Raises:
        KGError: the folder is neither in the checkout nor installed with the package.
    """
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    try:  # a data-only package: its folder is its one search location
        spec = importlib.util.find_spec(DATA_FOLDERS[name])
    except (KeyError, ModuleNotFoundError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise KGError(f"the {name}/ data folder is missing: neither {checkout} nor the installed package "
                      f"data {DATA_FOLDERS.get(name, name)} exists; reinstall the project (pip install .)")
    return Path(next(iter(spec.submodule_search_locations)))
