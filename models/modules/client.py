"""client: the Jupyter notebook with FATE's client; optional (a site may use FATE's CLI only)."""

from models.fate_module import FateModule, Image, Part, Ui

MODULE = FateModule(
    name="client",
    order=40,
    builder="components.fate_cluster.modules_core:build_client",
    parts=(
        Part(
            path="client",
            label="client",
            image=Image("federatedai/client"),
            requests={"cpu": "1", "memory": "2Gi"},
            ports={"tcp-notebook": 20000},
            volume="10Gi",
            flows=(),  # only through its Ingress (components/fate_cluster/flows.py adds the controller)
            ui=Ui("client", "notebook", "notebook", 20000),
        ),
    ),
)
