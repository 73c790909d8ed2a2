"""Loading ``kubefate cluster install -f`` files: the three upstream shapes, and errors naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ConfigError
from models.fate import parse_fate_spec
from models.kubefate_yaml import load_cluster_yaml

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str):
    path = FIXTURES / name
    return parse_fate_spec(load_cluster_yaml(path), prefix=path.name, source=str(path))


def test_spark_pulsar_example_shape():
    spec = load("cluster-spark-pulsar.yaml")
    assert (spec.backend_name, spec.name, spec.namespace, spec.party_id) == (
        "spark-pulsar",
        "fate-9999",
        "fate-9999",
        9999,
    )
    assert spec.nginx.route_table[10000].fateflow[0].http_port == 30103
    assert spec.pulsar.route_table[10000].ssl_port == 30109
    assert spec.python.spark.cores_per_node == 20
    assert spec.image_pull_secrets[0].name == "myregistrykey"
    assert spec.pull_policy is None  # ``pullPolicy:`` with no value, as upstream writes it
    assert spec.skipped_keys == ["route_table"]


def test_slim_example_shape():
    spec = load("cluster-spark-local-pulsar.yaml")
    assert spec.backend_name == "spark-local-pulsar"
    assert not spec.has("spark") and not spec.has("hdfs")


def test_eggroll_example_shape():
    spec = load("cluster-eggroll.yaml")
    assert spec.backend_name == "eggroll"
    assert spec.registry == "harbor.example.com/mirror/"
    assert spec.osx.exchange.port == 30000
    assert spec.volume("nodemanager").storage_class == "vsan-default-storage-policy"


def test_skipped_keys_do_not_turn_validation_off(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("partyId: 1\nbackend: eggroll\nskippedKeys: [route_tabel]\nroute_tabel: {}\n")
    with pytest.raises(ConfigError) as exc:
        parse_fate_spec(load_cluster_yaml(path), prefix=path.name)
    (only,) = exc.value.problems
    assert only.startswith("c.yaml.route_tabel = {}: unknown key. Fix: remove it; the keys here are algorithm, ")


def test_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("partyId: 1\nmodules: [mysql\n")
    with pytest.raises(ConfigError) as exc:
        load_cluster_yaml(path)
    assert str(path) in str(exc.value)
    assert exc.value.problems[0].startswith(f"kubefateClusterYaml = '{path}': not valid YAML at line 3")


def test_duplicate_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("partyId: 1\npartyId: 2\n")
    with pytest.raises(ConfigError) as exc:
        load_cluster_yaml(path)
    assert "duplicate key 'partyId'" in exc.value.problems[0]


def test_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as exc:
        load_cluster_yaml(path)
    assert exc.value.problems == [
        f"kubefateClusterYaml = '{path}': cannot read the file (No such file or directory). Fix: give a path "
        "relative to the project directory"
    ]


def test_non_mapping_file_is_refused(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError) as exc:
        load_cluster_yaml(path)
    assert "does not hold a mapping" in exc.value.problems[0]
    assert str(path) in str(exc.value)
