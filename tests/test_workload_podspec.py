"""The kubelet rules the workload runner reproduces (tests/workload/podspec.py), without root or a cluster.

If these drift from Kubernetes, the workload layer would run programs on files or env a real pod never gets.
"""

from __future__ import annotations

import base64

import pytest

from tests.workload import podspec
from tests.workload.images import TRAFFIC_SERVER, ImageProfile, profile_for

IMAGE = ImageProfile(
    name="example/app",
    user="app",
    entrypoint=("/entry",),
    cmd=("serve", "--port", "80"),
    workdir="/srv",
    env={"PATH": "/usr/bin", "IMAGE_ONLY": "1"},
)
OBJECTS = {
    ("configmaps", "conf"): {
        "data": {"app.yaml": "a: 1\n", "other": "x"},
        "binaryData": {"blob": base64.b64encode(b"\x00\x01").decode()},
    },
    ("secrets", "creds"): {
        "data": {"password": base64.b64encode(b"s3cret").decode(), "tls.key": base64.b64encode(b"KEY").decode()}
    },
}


def lookup(kind: str, name: str):
    return OBJECTS.get((kind, name))


def pod(container: dict, **spec) -> dict:
    return {"spec": {"containers": [{"name": "app", "image": "example/app:1", **container}], **spec}}


def plan(container: dict, **spec) -> podspec.ContainerPlan:
    return podspec.plan_container(pod(container, **spec), "app", IMAGE, lookup, "ns", "app-0", "10.0.0.7", [])


def test_env_precedence_and_expansion():
    p = plan(
        {
            "envFrom": [{"configMapRef": {"name": "conf"}, "prefix": "CM_"}],
            "env": [
                {"name": "IMAGE_ONLY", "value": "overridden"},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
                {"name": "URL", "value": "mysql://$(PASSWORD)@$(POD_IP):$(UNDEFINED)/$$(NOT)"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "LATE", "value": "$(POD_IP)"},
            ],
        }
    )
    assert p.env["PATH"] == "/usr/bin" and p.env["IMAGE_ONLY"] == "overridden"
    assert p.env["CM_app.yaml"] == "a: 1\n"
    # Only variables defined earlier expand; unknown references stay verbatim; $$ escapes.
    assert p.env["URL"] == "mysql://s3cret@$(POD_IP):$(UNDEFINED)/$(NOT)"
    assert p.env["LATE"] == "10.0.0.7"


def test_missing_secret_key_is_an_error_unless_optional():
    with pytest.raises(LookupError, match="no key 'nope'"):
        plan({"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "nope"}}}]})
    p = plan({"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k", "optional": True}}}]})
    assert "X" not in p.env


def test_service_links_follow_the_kubelets_naming():
    svc = {
        "metadata": {"name": "pulsar"},
        "spec": {
            "clusterIP": "10.96.0.9",
            "ports": [{"name": "tcp-pulsar", "port": 6650, "protocol": "TCP"}, {"name": "https", "port": 6651}],
        },
    }
    env = podspec.service_links(
        [svc, {"metadata": {"name": "fateflow"}, "spec": {"clusterIP": "None", "ports": [{"port": 9380}]}}]
    )
    assert env["PULSAR_SERVICE_HOST"] == "10.96.0.9" and env["PULSAR_SERVICE_PORT"] == "6650"
    assert env["PULSAR_PORT"] == "tcp://10.96.0.9:6650"
    assert env["PULSAR_SERVICE_PORT_TCP_PULSAR"] == "6650"
    assert env["PULSAR_PORT_6651_TCP_ADDR"] == "10.96.0.9"
    assert not any(k.startswith("FATEFLOW_") for k in env)  # headless: no links


def test_command_and_args_over_entrypoint_and_cmd():
    assert plan({}).argv == ["/entry", "serve", "--port", "80"]
    assert plan({"args": ["check"]}).argv == ["/entry", "check"]
    assert plan({"command": ["/bin/sh", "-c"]}).argv == ["/bin/sh", "-c"]  # command drops the image's CMD
    assert plan({"command": ["run"], "args": ["$(HOSTNAME)"]}).argv == ["run", "app-0"]


def test_user_comes_from_the_container_then_the_pod_then_the_image():
    assert plan({}).user == podspec.User(uid=None, gid=None, name="app")
    p = plan({"securityContext": {"runAsUser": 1000}}, securityContext={"runAsUser": 5, "fsGroup": 2000})
    assert p.user.uid == 1000 and p.user.groups == (2000,)


def test_volume_files_modes_and_fs_group():
    volumes = [
        {"name": "conf", "configMap": {"name": "conf", "items": [{"key": "app.yaml", "path": "etc/app.yaml"}]}},
        {"name": "creds", "secret": {"secretName": "creds", "defaultMode": 0o400}},
        {"name": "scratch", "emptyDir": {}},
    ]
    plain = podspec.pod_volumes({"volumes": volumes}, lookup)
    assert [(f.path, f.mode) for f in plain["conf"].files] == [("etc/app.yaml", 0o644)]
    assert {f.path: f.mode for f in plain["creds"].files} == {"password": 0o400, "tls.key": 0o400}
    assert plain["creds"].gid == 0 and plain["scratch"].dir_mode == 0o777
    grouped = podspec.pod_volumes({"volumes": volumes, "securityContext": {"fsGroup": 65534}}, lookup)
    # fsGroup: group ownership and group read on read-only volumes, as the kubelet's SetVolumeOwnership does.
    assert grouped["creds"].gid == 65534
    assert {f.mode for f in grouped["creds"].files} == {0o440}


def test_subpath_may_not_leave_the_volume_and_unknown_kinds_are_refused():
    spec = {"volumes": [{"name": "conf", "configMap": {"name": "conf"}}]}
    vols = podspec.pod_volumes(spec, lookup)
    with pytest.raises(LookupError, match="escapes the volume"):
        podspec.container_mounts(
            {"name": "app", "volumeMounts": [{"name": "conf", "mountPath": "/x", "subPath": "../etc/passwd"}]}, vols
        )
    with pytest.raises(podspec.Unsupported, match="hostPath"):
        podspec.pod_volumes({"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}, lookup)
    with pytest.raises(LookupError, match="does not exist"):
        podspec.pod_volumes({"volumes": [{"name": "c", "configMap": {"name": "absent"}}]}, lookup)


def test_mounts_are_ordered_parents_first():
    vols = podspec.pod_volumes({"volumes": [{"name": "a", "emptyDir": {}}, {"name": "b", "emptyDir": {}}]}, lookup)
    mounts = podspec.container_mounts(
        {"name": "app", "volumeMounts": [{"name": "b", "mountPath": "/data/x/y"}, {"name": "a", "mountPath": "/data"}]},
        vols,
    )
    assert [m.path for m in mounts] == ["/data", "/data/x/y"]


def test_image_profiles_are_found_whatever_the_registry_and_tag():
    assert profile_for("harbor.fate.internal/federatedai/trafficserver:1.11.2-mirror") is TRAFFIC_SERVER
    assert profile_for("federatedai/trafficserver@sha256:" + "0" * 64) is TRAFFIC_SERVER
    with pytest.raises(LookupError, match="no image profile"):
        profile_for("busybox:1.36")


def test_capabilities_are_the_runtime_default_minus_drop_plus_add():
    assert plan({}).privileges == podspec.Privileges(podspec.RUNTIME_DEFAULT_CAPS, False)
    hardened = plan(
        {
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"], "add": ["CHOWN", "CAP_SETUID"]},
            }
        }
    )
    assert hardened.privileges == podspec.Privileges(("CHOWN", "SETUID"), True)
    some = plan({"securityContext": {"capabilities": {"drop": ["NET_RAW", "mknod"], "add": ["SYS_NICE"]}}})
    assert "NET_RAW" not in some.privileges.capabilities and "MKNOD" not in some.privileges.capabilities
    assert {"SYS_NICE", "CHOWN", "NET_BIND_SERVICE"} <= set(some.privileges.capabilities)
    assert some.privileges.no_new_privs is False  # Kubernetes' default for allowPrivilegeEscalation


def test_a_privileged_container_is_not_pretended():
    with pytest.raises(podspec.Unsupported, match="privileged"):
        plan({"securityContext": {"privileged": True}})
