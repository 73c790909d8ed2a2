"""Defaults the FateCluster uses when a key is absent, in one place so the model, the sizing rules and the
component agree (the sizing rules check *effective* values, defaults included).

The per-module values (requests, volume sizes, sizing minimums) are part of each module's definition
(models/modules/); the tables here are derived from them. Requests follow the reference architecture for
production: every pod that does FATE's own work (fateflow, the eggroll node managers, the osx gateway, the
pulsar broker) gets 4 vCPU / 8 GiB, Spark workers 8 vCPU / 16 GiB; supporting services are sized for what they
do. Volume sizes are at least 5 GiB because the data volumes hold the parties' training data and job outputs.
"""

from __future__ import annotations

from models import modules
from models.engines import BACKEND_ENGINES

FATE_VERSION = "2.0.0"
PULSAR_TAG = "2.10.2"
MYSQL_TAG = "8.0.28"
HADOOP_TAG = "2.0.0-hadoop3.2.1-java8"
VOLUME_MIN_GIB = 5

# Backend shorthands: (computing, federation, storage, modules)
BACKENDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    str(b): (str(e.computing), str(e.federation), str(e.storage), modules.backend_modules(b))
    for b, e in BACKEND_ENGINES.items()
}

# Resource path (as in the cluster YAML) -> default requests.
RESOURCE_DEFAULTS: dict[str, dict[str, str]] = {p.path: dict(p.requests) for p in modules.PARTS}

# Volume path -> default size (only used with persistence on).
VOLUME_DEFAULTS: dict[str, str] = {p.path: p.volume for p in modules.PARTS if p.volume is not None}

module_of = modules.module_of
