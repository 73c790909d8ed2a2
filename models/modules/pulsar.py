"""pulsar: the data channel of the Pulsar federation, whose TLS port the exchange tunnels to."""

from models.engines import Federation
from models.fate_module import FATE_POD, FateModule, Image, Part, Requirement, Ui
from models.flows import ANYWHERE, Allow

MODULE = FateModule(
    name="pulsar",
    order=110,
    needs=Requirement("federation", (Federation.PULSAR,)),
    builder="components.fate_cluster.modules_federation:build_pulsar",
    parts=(
        Part(
            path="pulsar",
            label="pulsar",
            image=Image("federatedai/pulsar", tag="pulsar"),
            requests={"cpu": "4", "memory": "8Gi"},
            ports={"tcp-pulsar": 6650, "tcp-pulsar-tls": 6651, "http-admin": 8080, "https-admin": 8081},
            volume="20Gi",
            minimum=FATE_POD,
            exposed=True,
            node_ports=("httpsNodePort",),
            flows=(
                Allow((6651,), (ANYWHERE,)),  # the exchange's SNI tunnel through the LoadBalancer
                Allow((6650, 8080), ("python", "spark-worker")),  # producers/consumers and the admin API (topics)
            ),
            ui=Ui("pulsar", "pulsar", "pulsar", 8080, on_request=True),
        ),
    ),
)
