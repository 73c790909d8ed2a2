"""Image references of a FATE cluster, as chart fate v2.0.0 composes them:
``<registry><image><suffix>:<tag>``.

The registry is a prefix (normalised to end with ``/`` by the model, facts §12.4). FATE images default to the
tag ``<fateVersion>-release``; third-party images (pulsar, mysql, hadoop) keep the versions FATE 2.0.0 was
built against. A module's ``image``/``imageTag`` win over both. The algorithm/device suffix is appended to the
repository like upstream does, also to an overridden repository, so a mirror keeps upstream's naming.
"""

from __future__ import annotations

from models import fate_defaults as d
from models import modules
from models.engines import SPARK_COMPUTING
from models.fate import FateSpec

BUSYBOX = "busybox:1.36"


def image_suffix(spec: FateSpec, kind: str) -> str:
    """fateflow: ``-spark`` on Spark backends, then ``-nn``/``-all``, then ``-ipcl``/``-gpu``; the eggroll and
    spark-worker images only carry the algorithm/device part (facts §4)."""
    if not kind:
        return ""
    suffix = "-spark" if kind == "fateflow" and spec.computing in SPARK_COMPUTING else ""
    suffix += {"NN": "-nn", "ALL": "-all"}.get(spec.algorithm or "Basic", "")
    suffix += {"IPCL": "-ipcl", "GPU": "-gpu"}.get(spec.device or "CPU", "")
    return suffix


def default_tag(spec: FateSpec, kind: str) -> str:
    return {
        "fate": f"{spec.fate_version}-release",
        "mysql": d.MYSQL_TAG,
        "hadoop": d.HADOOP_TAG,
        "pulsar": d.PULSAR_TAG,
    }[kind]


def image_ref(spec: FateSpec, path: str) -> str:
    """The full reference of a module's (or sub-module's, e.g. ``spark.worker``) main container image, by the
    image rule of its definition (models/modules/)."""
    image = modules.part(path).image
    block = spec.block(path)
    repo = getattr(block, "image", None) or image.repository
    tag = getattr(block, "image_tag", None) or default_tag(spec, image.tag)
    return f"{spec.registry or ''}{repo}{image_suffix(spec, image.suffix)}:{tag}"


def helper_image(spec: FateSpec, image: str) -> str:
    """Init-container helpers (busybox) come from the same registry prefix, so air-gapped sites mirror one
    place."""
    return f"{spec.registry or ''}{image}"
