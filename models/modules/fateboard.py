"""fateboard: the job dashboard, behind a generated login and reached only through its Ingress."""

from models.fate_module import FateModule, Image, Part, Ui

MODULE = FateModule(
    name="fateboard",
    order=30,
    common=True,
    builder="components.fate_cluster.modules_core:build_fateboard",
    secrets=("fateboard-password",),
    parts=(
        Part(
            path="fateboard",
            label="fateboard",
            image=Image("federatedai/fateboard"),
            requests={"cpu": "500m", "memory": "1Gi"},
            ports={"tcp-fateboard": 8080},
            exposed=True,
            flows=(),  # only through its Ingress (components/fate_cluster/flows.py adds the controller)
            ui=Ui("fateboard", "fateboard", "fateboard", 8080),
        ),
    ),
)
