"""FATE's engines and the backends (engine combinations) a party can run, one definition each.

A backend names its computing, federation and storage engines; the modules it implies are not listed here but
come from the module definitions (models/modules/): every common module, every module without engine needs
(the notebook) and every module whose needs the backend's engines meet. A new module therefore joins the right
backends by saying what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Computing(StrEnum):
    EGGROLL = "Eggroll"
    SPARK = "Spark"
    SPARK_LOCAL = "Spark_local"


class Federation(StrEnum):
    OSX = "OSX"
    PULSAR = "Pulsar"


class Storage(StrEnum):
    EGGROLL = "Eggroll"
    HDFS = "HDFS"
    LOCALFS = "LocalFS"


class Backend(StrEnum):
    """The ``fate.backend`` shorthands."""

    SPARK_PULSAR = "spark-pulsar"
    SPARK_LOCAL_PULSAR = "spark-local-pulsar"
    EGGROLL = "eggroll"


@dataclass(frozen=True)
class Engines:
    computing: Computing
    federation: Federation
    storage: Storage

    def of(self, kind: str) -> str:
        """The engine of ``kind`` (computing, federation or storage)."""
        return str(getattr(self, kind))


BACKEND_ENGINES: dict[Backend, Engines] = {
    Backend.SPARK_PULSAR: Engines(Computing.SPARK, Federation.PULSAR, Storage.HDFS),
    Backend.SPARK_LOCAL_PULSAR: Engines(Computing.SPARK_LOCAL, Federation.PULSAR, Storage.LOCALFS),
    Backend.EGGROLL: Engines(Computing.EGGROLL, Federation.OSX, Storage.EGGROLL),
}

SPARK_COMPUTING = (Computing.SPARK, Computing.SPARK_LOCAL)


def backend_named(value: object) -> Backend | None:
    """The backend a configured value names, or None (the field's own validation reports a bad value)."""
    return next((b for b in Backend if isinstance(value, str) and value == b.value), None)


def backend_of_computing(computing: str | None) -> Backend | None:
    """Each computing engine belongs to exactly one backend, which fixes the federation and storage it needs."""
    return next((b for b, e in BACKEND_ENGINES.items() if e.computing == computing), None)
